use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::controller::position::to_i64;
use crate::errors::ErrorCode;
use crate::state::*;

#[derive(Accounts)]
pub struct Deposit<'info> {
    pub authority: Signer<'info>,
    #[account(seeds = [GLOBAL_SEED], bump = global.bump)]
    pub global: Account<'info, GlobalState>,
    #[account(
        mut, has_one = authority @ ErrorCode::Unauthorized,
        seeds = [USER_SEED, authority.key().as_ref(), &user.sub_account_id.to_le_bytes()], bump = user.bump,
    )]
    pub user: Account<'info, User>,
    #[account(mut, token::mint = global.collateral_mint, token::authority = authority)]
    pub user_token: Account<'info, TokenAccount>,
    #[account(mut, seeds = [VAULT_SEED], bump = global.vault_bump)]
    pub vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

pub fn handle_deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
    validate!(amount > 0, ErrorCode::ZeroAmount);
    let accounts = Transfer {
        from: ctx.accounts.user_token.to_account_info(),
        to: ctx.accounts.vault.to_account_info(),
        authority: ctx.accounts.authority.to_account_info(),
    };
    token::transfer(
        CpiContext::new(ctx.accounts.token_program.to_account_info(), accounts),
        amount,
    )?;
    let user = &mut ctx.accounts.user;
    user.collateral = to_i64(i128::from(user.collateral) + i128::from(amount))?;
    Ok(())
}
