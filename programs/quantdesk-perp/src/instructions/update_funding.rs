use anchor_lang::prelude::*;

use crate::controller::oracle::{read_oracle, require_fresh};
use crate::controller::position::{to_i64, update_twaps};
use crate::errors::ErrorCode;
use crate::math::funding::{funding_index_delta, funding_rate};
use crate::state::*;

/// Permissionless crank: once per funding period, moves the cumulative index by the capped premium.
#[derive(Accounts)]
pub struct UpdateFunding<'info> {
    #[account(mut, seeds = [MARKET_SEED, &market.market_index.to_le_bytes()], bump = market.bump)]
    pub market: Account<'info, Market>,
    /// CHECK: must be the market's oracle; read as a Pyth v2 price account.
    pub oracle: UncheckedAccount<'info>,
}

pub fn handle_update_funding(ctx: Context<UpdateFunding>) -> Result<()> {
    let clock = Clock::get()?;
    let market = &mut ctx.accounts.market;
    // No funding accrues while a market is paused (unpausing restarts the period).
    validate!(!market.paused, ErrorCode::MarketPaused);
    validate!(
        clock.unix_timestamp - market.last_funding_ts >= FUNDING_PERIOD_SECS,
        ErrorCode::FundingNotDue
    );
    let reading = read_oracle(&ctx.accounts.oracle, market)?;
    require_fresh(&reading, market, clock.slot)?;
    update_twaps(market, &reading, clock.unix_timestamp)?;
    let rate = funding_rate(
        market.mark_twap.into(),
        market.oracle_twap.into(),
        market.config.funding_rate_cap.into(),
    )?;
    // Funding moves both sides' indexes alike (longs pay what shorts receive).
    let delta = funding_index_delta(rate, market.oracle_twap.into())?;
    market.cumulative_funding_index_long = market
        .cumulative_funding_index_long
        .checked_add(delta)
        .ok_or(ErrorCode::MathOverflow)?;
    market.cumulative_funding_index_short = market
        .cumulative_funding_index_short
        .checked_add(delta)
        .ok_or(ErrorCode::MathOverflow)?;
    market.last_funding_delta = delta;
    market.last_funding_rate = to_i64(rate)?;
    market.last_funding_ts = clock.unix_timestamp;
    Ok(())
}
