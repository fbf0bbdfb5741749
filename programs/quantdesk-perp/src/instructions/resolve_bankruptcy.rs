use anchor_lang::prelude::*;

use crate::controller::position::{to_i64, to_u64};
use crate::errors::ErrorCode;
use crate::math::funding::socialized_loss_index_delta;
use crate::math::liquidation::resolve_bankruptcy;
use crate::state::*;

#[derive(Accounts)]
pub struct ResolveBankruptcy<'info> {
    pub keeper: Signer<'info>,
    #[account(mut, seeds = [GLOBAL_SEED], bump = global.bump, has_one = keeper @ ErrorCode::Unauthorized)]
    pub global: Account<'info, GlobalState>,
    #[account(mut, seeds = [USER_SEED, user.authority.as_ref(), &user.sub_account_id.to_le_bytes()], bump = user.bump)]
    pub user: Account<'info, User>,
    /// The market whose open interest absorbs what the insurance fund cannot pay.
    #[account(mut, seeds = [MARKET_SEED, &market.market_index.to_le_bytes()], bump = market.bump)]
    pub market: Account<'info, Market>,
}

/// A sub-account with no positions and negative collateral: the insurance fund pays what it can, the
/// rest is socialized over the larger side of `market` through its funding index.
/// Returns what it did, so the keeper books the program's amounts instead of reading fund differences.
pub fn handle_resolve_bankruptcy(ctx: Context<ResolveBankruptcy>) -> Result<BankruptcyReport> {
    let user = &mut ctx.accounts.user;
    validate!(
        user.open_positions().next().is_none() && user.collateral < 0,
        ErrorCode::NotBankrupt
    );
    let global = &mut ctx.accounts.global;
    let market = &mut ctx.accounts.market;
    // What the PnL pool still owed the account covers its deficit first (the pool pays it into collateral).
    let offset = i128::from(user.unsettled_pnl).min(-i128::from(user.collateral));
    user.collateral = to_i64(i128::from(user.collateral) + offset)?;
    global.pnl_pool = to_i64(i128::from(global.pnl_pool) - offset)?;
    user.unsettled_pnl = to_u64(i128::from(user.unsettled_pnl) - offset)?;
    let deficit = -i128::from(user.collateral);
    let r = resolve_bankruptcy(user.collateral.into(), global.insurance_fund.into());
    global.insurance_fund = to_u64(i128::from(global.insurance_fund) - r.insurance_paid)?;
    global.pnl_pool = to_i64(i128::from(global.pnl_pool) - r.socialized_loss)?;
    user.collateral = 0;
    let longs_pay = market.long_open_interest >= market.short_open_interest;
    let paying_oi = if longs_pay {
        market.long_open_interest
    } else {
        market.short_open_interest
    };
    // Only the paying side's index moves: each of its positions pays its share (rounded up, to the
    // protocol) into the PnL pool as it settles; the other side is not touched.
    let delta = socialized_loss_index_delta(r.socialized_loss, paying_oi.into(), longs_pay)?;
    let index = if longs_pay {
        &mut market.cumulative_funding_index_long
    } else {
        &mut market.cumulative_funding_index_short
    };
    *index = index.checked_add(delta).ok_or(ErrorCode::MathOverflow)?;
    Ok(BankruptcyReport {
        deficit: to_u64(deficit)?,
        insurance_paid: to_u64(r.insurance_paid)?,
        socialized_loss: to_u64(r.socialized_loss)?,
    })
}
