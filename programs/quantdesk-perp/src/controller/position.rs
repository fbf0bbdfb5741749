use anchor_lang::prelude::*;

use crate::errors::ErrorCode;
use crate::math::fixed_point::Cast;
use crate::math::funding::funding_owed;
use crate::math::trading::{apply_fill, pool_payout, FillOutcome};
use crate::state::{GlobalState, Market, PerpPosition, TradeReport, User, EMPTY_MARKET};

pub fn to_i64(v: i128) -> Result<i64> {
    v.cast::<i64>().map_err(|_| error!(ErrorCode::MathOverflow))
}
pub fn to_u64(v: i128) -> Result<u64> {
    v.cast::<u64>().map_err(|_| error!(ErrorCode::MathOverflow))
}

/// Moves funding (and socialized losses) owed since the position last settled, at its side's index,
/// between the user and the PnL pool; returns it (> 0 paid by the user).
pub fn settle_funding(user: &mut User, slot: usize, market: &Market, global: &mut GlobalState) -> Result<i128> {
    let position = &mut user.positions[slot];
    let index = market.funding_index_for(position.base.into());
    let owed = funding_owed(position.base.into(), position.last_funding_index, index)?;
    position.last_funding_index = index;
    settle_with_pool(user, global, -owed)?;
    Ok(owed)
}

/// Settles `amount` (> 0 owed to the account) and the account's unsettled PnL with the PnL pool: a debt
/// is paid in full, a claim up to the pool's positive balance, the rest stays unsettled (math::trading::pool_payout).
pub fn settle_with_pool(user: &mut User, global: &mut GlobalState, amount: i128) -> Result<()> {
    let claim = i128::from(user.unsettled_pnl)
        .checked_add(amount)
        .ok_or(ErrorCode::MathOverflow)?;
    let (paid, left) = pool_payout(claim, global.pnl_pool.into());
    user.collateral = to_i64(i128::from(user.collateral) + paid)?;
    global.pnl_pool = to_i64(i128::from(global.pnl_pool) - paid)?;
    user.unsettled_pnl = to_u64(left)?;
    Ok(())
}

/// The slot of the user's position in a market, opening an empty one if needed.
pub fn position_slot(user: &mut User, market: &Market) -> Result<usize> {
    if let Some(i) = user.position_index(market.market_index) {
        return Ok(i);
    }
    let i = user.position_index(EMPTY_MARKET).ok_or(ErrorCode::PositionSlotsFull)?;
    user.positions[i] = PerpPosition {
        market_index: market.market_index,
        base: 0,
        quote_entry: 0,
        last_funding_index: market.cumulative_funding_index_long,
    };
    Ok(i)
}

/// Applies a fill to the user, the market's open interest and the PnL pool; the fee goes to insurance.
/// Funding must be settled first: the position then follows its (possibly new) side's index.
pub fn execute_fill(
    user: &mut User,
    slot: usize,
    market: &mut Market,
    global: &mut GlobalState,
    delta: i128,
    price: i128,
    fee: i128,
) -> Result<FillOutcome> {
    let outcome = apply_fill(&user.positions[slot].math(), delta, price)?;
    let position = &mut user.positions[slot];
    position.base = to_i64(outcome.position.base)?;
    position.quote_entry = to_i64(outcome.position.quote_entry)?;
    if position.base == 0 && position.quote_entry == 0 {
        *position = PerpPosition::default();
    } else {
        position.last_funding_index = market.funding_index_for(position.base.into());
    }
    settle_with_pool(user, global, outcome.realized_pnl)?;
    user.collateral = to_i64(i128::from(user.collateral) - fee)?;
    global.insurance_fund = to_u64(i128::from(global.insurance_fund) + fee)?;
    market.long_open_interest = to_u64(i128::from(market.long_open_interest) + outcome.long_open_interest_delta)?;
    market.short_open_interest = to_u64(i128::from(market.short_open_interest) + outcome.short_open_interest_delta)?;
    Ok(outcome)
}

/// Folds the current oracle and skew-adjusted mark into the market's TWAPs (window = funding period).
pub fn update_twaps(market: &mut Market, reading: &super::oracle::OracleReading, now: i64) -> Result<()> {
    use crate::math::funding::update_twap;
    use crate::math::trading::fill_price;
    use crate::state::FUNDING_PERIOD_SECS;
    let elapsed = i128::from(now - market.twap_ts);
    let window = i128::from(FUNDING_PERIOD_SECS);
    let mark = fill_price(reading.price, market.skew(), 0, market.config.skew_scale_base.into())?;
    market.oracle_twap = to_u64(update_twap(market.oracle_twap.into(), reading.price, elapsed, window)?)?;
    market.mark_twap = to_u64(update_twap(market.mark_twap.into(), mark, elapsed, window)?)?;
    market.twap_ts = now;
    Ok(())
}

/// What one fill or liquidation step executed (amounts in the program's precisions), for its report.
pub struct Executed {
    pub market_index: u16,
    pub delta: i128,
    pub price: i128,
    pub fee: i128,
    pub funding_paid: i128,
    pub realized_pnl: i128,
}

/// The report a fill or liquidation returns, read after the fill was applied to `slot`.
pub fn trade_report(user: &User, slot: usize, e: Executed) -> Result<TradeReport> {
    let position = &user.positions[slot];
    Ok(TradeReport {
        market_index: e.market_index,
        base_delta: to_i64(e.delta)?,
        price: to_u64(e.price)?,
        fee: to_u64(e.fee)?,
        realized_pnl: to_i64(e.realized_pnl)?,
        funding_paid: to_i64(e.funding_paid)?,
        base_after: position.base,
        quote_entry_after: position.quote_entry,
        collateral_after: user.collateral,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A program account with every field zero (Borsh reads zero bytes as zeros, empty keys and false).
    fn zeroed<T: AnchorDeserialize>() -> T {
        T::deserialize(&mut &[0u8; 4096][..]).unwrap()
    }

    fn empty_user() -> User {
        let mut user: User = zeroed();
        for p in user.positions.iter_mut() {
            p.market_index = EMPTY_MARKET;
        }
        user
    }

    #[test]
    fn the_pool_pays_a_claim_up_to_its_balance_and_keeps_the_rest_owed() {
        let (mut user, mut global) = (empty_user(), zeroed::<GlobalState>());
        global.pnl_pool = 30;
        settle_with_pool(&mut user, &mut global, 100).unwrap();
        assert_eq!((user.collateral, user.unsettled_pnl, global.pnl_pool), (30, 70, 0));
        global.pnl_pool = 100; // the pool refills: the next settlement pays what it owed
        settle_with_pool(&mut user, &mut global, 0).unwrap();
        assert_eq!((user.collateral, user.unsettled_pnl, global.pnl_pool), (100, 0, 30));
        settle_with_pool(&mut user, &mut global, -40).unwrap(); // a debt is paid in full
        assert_eq!((user.collateral, global.pnl_pool), (60, 70));
    }

    #[test]
    fn a_position_slot_is_found_or_opened_at_the_long_index_and_refused_when_full() {
        let mut user = empty_user();
        let mut market: Market = zeroed();
        market.market_index = 3;
        market.cumulative_funding_index_long = 77;
        let slot = position_slot(&mut user, &market).unwrap();
        assert_eq!(
            (
                user.positions[slot].market_index,
                user.positions[slot].last_funding_index
            ),
            (3, 77)
        );
        assert_eq!(position_slot(&mut user, &market).unwrap(), slot);
        for p in user.positions.iter_mut() {
            p.market_index = 9;
        }
        market.market_index = 4;
        assert!(position_slot(&mut user, &market).is_err());
    }

    #[test]
    fn casts_refuse_what_does_not_fit() {
        assert!(to_u64(-1).is_err());
        assert!(to_i64(i128::from(i64::MAX) + 1).is_err());
        assert_eq!(to_u64(5).unwrap(), 5);
    }
}
