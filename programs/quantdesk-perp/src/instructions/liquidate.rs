use anchor_lang::prelude::*;

use crate::controller::margin::{load_priced_markets, margin_account, PricedMarket};
use crate::controller::oracle::{read_oracle, require_fresh};
use crate::controller::position::{execute_fill, settle_funding, trade_report, Executed};
use crate::errors::ErrorCode;
use crate::math::liquidation::{liquidation_fee, liquidation_size};
use crate::math::margin::is_below_maintenance;
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
///
/// Steps belong to an episode (`User::liquidation_seq`): the first step of an account below maintenance
/// opens the next one, a step that leaves the account healthy or flat closes it, and a call naming any
/// other episode, or a step of it other than the next (`User::episode_steps`), is refused. The keeper's
/// workflow ID carries the episode, so a second detector, a retried tick or a stale book can start a
/// liquidation twice in Temporal but never execute it twice here; naming the step makes every step a
/// distinct transaction, and a resent step executes at most once.
/// A call on an open episode whose account the market has already made healthy only closes the episode.
pub fn handle_liquidate<'info>(
    ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>,
    liquidation_seq: u64,
    step: u16,
) -> Result<LiquidationReport> {
    let slot = Clock::get()?.slot;
    let market = &mut ctx.accounts.market;
    let reading = read_oracle(&ctx.accounts.oracle, market)?;
    require_fresh(&reading, market, slot)?;
    // A paused market's price is not trusted: nobody is liquidated at it.
    validate!(!market.paused, ErrorCode::MarketPaused);
    let user = &mut ctx.accounts.user;
    validate!(
        liquidation_seq == user.current_liquidation_seq() && step == user.next_liquidation_step(),
        ErrorCode::StaleLiquidation
    );
    let global = &mut ctx.accounts.global;
    let index = user
        .position_index(market.market_index)
        .ok_or(ErrorCode::NotLiquidatable)?;
    let funding_paid = settle_funding(user, index, market, global)?;

    let this = PricedMarket {
        market: (**market).clone(),
        reading,
    };
    let others = load_priced_markets(ctx.remaining_accounts)?;
    validate!(others.iter().all(|p| !p.market.paused), ErrorCode::MarketPaused);
    let priced: Vec<&PricedMarket> = std::iter::once(&this).chain(others.iter()).collect();
    let account = margin_account(user, &priced)?;
    let target = account
        .positions
        .iter()
        .position(|p| p.position == user.positions[index].math())
        .ok_or(ErrorCode::NotLiquidatable)?;
    let size = liquidation_size(&account, target, step)?;
    if size == 0 {
        validate!(user.being_liquidated, ErrorCode::NotLiquidatable);
        user.being_liquidated = false;
        let executed = Executed {
            market_index: market.market_index,
            delta: 0,
            price: reading.price,
            fee: 0,
            funding_paid,
            realized_pnl: 0,
        };
        let trade = trade_report(user, index, executed)?;
        return Ok(LiquidationReport {
            trade,
            liquidation_seq,
            being_liquidated: false,
            episode_steps: user.episode_steps,
        });
    }
    let fee = liquidation_fee(&account, target, size)?;
    let delta = -i128::from(user.positions[index].base).signum() * size;
    let outcome = execute_fill(user, index, market, global, delta, reading.price, fee)?;
    let executed = Executed {
        market_index: market.market_index,
        delta,
        price: reading.price,
        fee,
        funding_paid,
        realized_pnl: outcome.realized_pnl,
    };
    let trade = trade_report(user, index, executed)?;
    if !user.being_liquidated {
        user.liquidation_seq = liquidation_seq;
        user.episode_steps = 0;
    }
    user.episode_steps = user.episode_steps.checked_add(1).ok_or(ErrorCode::MathOverflow)?;
    user.liquidation_steps = user.liquidation_steps.checked_add(1).ok_or(ErrorCode::MathOverflow)?;
    let after = margin_account(user, &priced)?;
    user.being_liquidated = user.open_positions().next().is_some() && is_below_maintenance(&after)?;
    Ok(LiquidationReport {
        trade,
        liquidation_seq,
        being_liquidated: user.being_liquidated,
        episode_steps: user.episode_steps,
    })
}
