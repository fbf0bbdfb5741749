//! quantdesk-perp: collateral, perpetual positions, funding and liquidation on Solana.
use anchor_lang::prelude::*;

pub mod math;

declare_id!("56moPzxQWA5Ykk2thb8XU1YwSeEgfR4hFWAFHEPr9dAf");

#[program]
pub mod quantdesk_perp {
    use super::*;
    pub fn noop(_ctx: Context<Noop>) -> Result<()> {
        Ok(())
    }
}

#[derive(Accounts)]
pub struct Noop {}
