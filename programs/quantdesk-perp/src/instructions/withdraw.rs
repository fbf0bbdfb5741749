use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::controller::margin::{load_priced_markets, margin_account};
use crate::controller::oracle::require_healthy;
use crate::controller::position::{settle_funding, settle_with_pool, to_i64};
use crate::errors::ErrorCode;
use crate::math::margin::free_collateral;
use crate::state::*;

#[derive(Accounts)]
pub struct Withdraw<'info> {
    pub authority: Signer<'info>,
    #[account(mut, seeds = [GLOBAL_SEED], bump = global.bump)]
    pub global: Account<'info, GlobalState>,
    #[account(
        mut, has_one = authority @ ErrorCode::Unauthorized,
        seeds = [USER_SEED, authority.key().as_ref(), &user.sub_account_id.to_le_bytes()], bump = user.bump,
    )]
    pub user: Account<'info, User>,
    #[account(mut, token::mint = global.collateral_mint)]
    pub user_token: Account<'info, TokenAccount>,
    #[account(mut, seeds = [VAULT_SEED], bump = global.vault_bump)]
    pub vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
    // remaining accounts: (market, oracle) for every open position
}

pub fn handle_withdraw<'info>(ctx: Context<'_, '_, 'info, 'info, Withdraw<'info>>, amount: u64) -> Result<()> {
    validate!(amount > 0, ErrorCode::ZeroAmount);
    let slot = Clock::get()?.slot;
    let markets = load_priced_markets(ctx.remaining_accounts)?;
    let user = &mut ctx.accounts.user;
    let global = &mut ctx.accounts.global;
    for priced in &markets {
        require_healthy(&priced.reading, &priced.market, slot)?;
        if let Some(i) = user.position_index(priced.market.market_index) {
            settle_funding(user, i, &priced.market, global)?;
        }
    }
    // PnL the pool owed the account and can pay now becomes collateral first (none of the rest is withdrawable).
    settle_with_pool(user, global, 0)?;
    let account = margin_account(user, &markets.iter().collect::<Vec<_>>())?;
    let free = free_collateral(&account)?.min(i128::from(user.collateral));
    validate!(i128::from(amount) <= free, ErrorCode::InsufficientFreeCollateral);
    user.collateral = to_i64(i128::from(user.collateral) - i128::from(amount))?;

    let seeds: &[&[u8]] = &[GLOBAL_SEED, &[global.bump]];
    let accounts = Transfer {
        from: ctx.accounts.vault.to_account_info(),
        to: ctx.accounts.user_token.to_account_info(),
        authority: global.to_account_info(),
    };
    token::transfer(
        CpiContext::new_with_signer(ctx.accounts.token_program.to_account_info(), accounts, &[seeds]),
        amount,
    )
}
