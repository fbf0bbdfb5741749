use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::state::*;

#[derive(Accounts)]
pub struct Initialize<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(init, payer = admin, space = 8 + GlobalState::INIT_SPACE, seeds = [GLOBAL_SEED], bump)]
    pub global: Account<'info, GlobalState>,
    pub collateral_mint: Account<'info, Mint>,
    #[account(
        init, payer = admin, seeds = [VAULT_SEED], bump,
        token::mint = collateral_mint, token::authority = global,
    )]
    pub vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handle_initialize(ctx: Context<Initialize>, keeper: Pubkey) -> Result<()> {
    let global = &mut ctx.accounts.global;
    global.admin = ctx.accounts.admin.key();
    global.keeper = keeper;
    global.collateral_mint = ctx.accounts.collateral_mint.key();
    global.vault = ctx.accounts.vault.key();
    global.insurance_fund = 0;
    global.pnl_pool = 0;
    global.bump = ctx.bumps.global;
    global.vault_bump = ctx.bumps.vault;
    Ok(())
}
