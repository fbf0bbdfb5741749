//! Fills, fees and PnL (domain/perp/trading.ts).
use super::fixed_point::*;
use super::{MarketParams, Position};

/// Fill price with skew-based impact: oracle * (1 + (2*skew + delta) / (2*skew_scale)); buyers rounded up.
pub fn fill_price(oracle_price: i128, skew_base: i128, delta_base: i128, skew_scale_base: i128) -> MathResult<i128> {
    let numerator = mul(oracle_price, add(mul(2, skew_base)?, delta_base)?)?;
    let denominator = mul(2, skew_scale_base)?;
    let premium = if delta_base > 0 { div_ceil(numerator, denominator)? } else { div_floor(numerator, denominator)? };
    let price = add(oracle_price, premium)?;
    Ok(if price > 1 { price } else { 1 })
}

pub fn taker_fee(params: &MarketParams, delta_base: i128, price: i128) -> MathResult<i128> {
    mul_div_ceil(notional_ceil(delta_base, price)?, params.taker_fee_bps, BPS_PRECISION)
}

pub fn maker_rebate(params: &MarketParams, delta_base: i128, price: i128) -> MathResult<i128> {
    mul_div_floor(notional_ceil(delta_base, price)?, params.maker_rebate_bps, BPS_PRECISION)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillOutcome {
    pub position: Position,
    pub realized_pnl: i128,
    pub long_open_interest_delta: i128,
    pub short_open_interest_delta: i128,
}

/// Applies a fill: the reducing part realizes PnL against a pro-rata cost share rounded up, the opening
/// part adds its cost rounded up.
pub fn apply_fill(position: &Position, delta_base: i128, price: i128) -> MathResult<FillOutcome> {
    if delta_base == 0 {
        return Err(MathError::InvalidInput);
    }
    let mut base = position.base;
    let mut quote_entry = position.quote_entry;
    let mut realized_pnl = 0;
    let mut opening = delta_base;
    if base != 0 && base.signum() != delta_base.signum() {
        let closed = if delta_base.abs() >= base.abs() { -base } else { delta_base };
        let entry_share = mul_div_ceil(quote_entry, -closed, base)?;
        realized_pnl = sub(quote_value_floor(-closed, price)?, entry_share)?;
        base = add(base, closed)?;
        quote_entry = sub(quote_entry, entry_share)?;
        opening = sub(delta_base, closed)?;
    }
    if opening != 0 {
        base = add(base, opening)?;
        quote_entry = add(quote_entry, quote_value_ceil(opening, price)?)?;
    }
    let before = position.base;
    Ok(FillOutcome {
        position: Position { base, quote_entry, last_funding_index: position.last_funding_index },
        realized_pnl,
        long_open_interest_delta: before_after(before, base, 1),
        short_open_interest_delta: before_after(before, base, -1),
    })
}

fn before_after(before: i128, after: i128, side: i128) -> i128 {
    (after * side).max(0) - (before * side).max(0)
}

pub fn unrealized_pnl(position: &Position, price: i128) -> MathResult<i128> {
    sub(quote_value_floor(position.base, price)?, position.quote_entry)
}
