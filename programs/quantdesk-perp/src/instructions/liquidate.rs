use anchor_lang::prelude::*;

use crate::controller::margin::{load_priced_markets, margin_account, PricedMarket};
use crate::controller::oracle::{read_pyth, require_fresh};
use crate::controller::position::{execute_fill, settle_funding, trade_report};
use crate::errors::ErrorCode;
use crate::math::liquidation::{liquidation_fee, liquidation_size};
use crate::state::*;

#[derive(Accounts)]
pub struct Liquidate<'info> {
    pub keeper: Signer<'info>,
    #[account(mut, seeds = [GLOBAL_SEED], bump = global.bump, has_one = keeper @ ErrorCode::Unauthorized)]
    pub global: Account<'info, GlobalState>,
    #[account(mut, seeds = [USER_SEED, user.authority.as_ref(), &user.sub_account_id.to_le_bytes()], bump = user.bump)]
    pub user: Account<'info, User>,
    #[account(mut, seeds = [MARKET_SEED, &market.market_index.to_le_bytes()], bump = market.bump)]
    pub market: Account<'info, Market>,
    /// CHECK: must be the market's oracle; read as a Pyth v2 price account.
    pub oracle: UncheckedAccount<'info>,
    // remaining accounts: (market, oracle) for the user's other open positions
}

/// One partial liquidation step in `market` at the oracle price; the fee goes to the insurance fund.
/// Returns what it executed.
pub fn handle_liquidate<'info>(ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>) -> Result<TradeReport> {
    let slot = Clock::get()?.slot;
    let market = &mut ctx.accounts.market;
    let reading = read_pyth(&ctx.accounts.oracle, market)?;
    require_fresh(&reading, market, slot)?;
    let user = &mut ctx.accounts.user;
    let global = &mut ctx.accounts.global;
    let index = user.position_index(market.market_index).ok_or(ErrorCode::NotLiquidatable)?;
    let funding_paid = settle_funding(user, index, market, global)?;

    let this = PricedMarket { market: (**market).clone(), reading };
    let others = load_priced_markets(ctx.remaining_accounts)?;
    let priced: Vec<&PricedMarket> = std::iter::once(&this).chain(others.iter()).collect();
    let account = margin_account(user, &priced)?;
    let target = account.positions.iter().position(|p| p.position == user.positions[index].math()).ok_or(ErrorCode::NotLiquidatable)?;
    let size = liquidation_size(&account, target)?;
    validate!(size > 0, ErrorCode::NotLiquidatable);
    let fee = liquidation_fee(&account, target, size)?;
    let delta = -i128::from(user.positions[index].base).signum() * size;
    let outcome = execute_fill(user, index, market, global, delta, reading.price, fee)?;
    trade_report(user, index, market.market_index, delta, reading.price, fee, funding_paid, &outcome)
}
