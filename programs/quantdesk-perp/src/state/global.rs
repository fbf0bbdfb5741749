use anchor_lang::prelude::*;

pub const GLOBAL_SEED: &[u8] = b"global";
pub const VAULT_SEED: &[u8] = b"vault";

/// Protocol-wide state. Conservation: vault balance = sum(user collateral) + insurance_fund + pnl_pool.
#[account]
#[derive(InitSpace)]
pub struct GlobalState {
    pub admin: Pubkey,
    pub keeper: Pubkey,
    pub collateral_mint: Pubkey,
    pub vault: Pubkey,
    /// Fees and liquidation fees; pays bankruptcies.
    pub insurance_fund: u64,
    /// The protocol's side of every trade: realized PnL and funding flow against it.
    pub pnl_pool: i64,
    pub bump: u8,
    pub vault_bump: u8,
}
