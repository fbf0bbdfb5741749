//! Funding rate and the cumulative index (domain/perp/funding.ts).
use super::fixed_point::*;

pub const FUNDING_PERIODS_PER_DAY: i128 = 24;
const INDEX_TO_QUOTE: i128 = BASE_PRECISION * FUNDING_INDEX_PRECISION;

/// Hourly rate: (mark TWAP - oracle TWAP) / oracle TWAP / 24, truncated toward zero, capped.
pub fn funding_rate(mark_twap: i128, oracle_twap: i128, cap: i128) -> MathResult<i128> {
    if oracle_twap <= 0 {
        return Err(MathError::InvalidInput);
    }
    let rate = div_trunc(
        mul(sub(mark_twap, oracle_twap)?, FUNDING_RATE_PRECISION)?,
        mul(oracle_twap, FUNDING_PERIODS_PER_DAY)?,
    )?;
    Ok(rate.clamp(-cap, cap))
}

pub fn funding_index_delta(rate: i128, oracle_price: i128) -> MathResult<i128> {
    mul(rate, oracle_price)
}

/// Funding owed since the last settlement, rounded up (payers pay the extra unit).
pub fn funding_owed(base: i128, last_index: i128, current_index: i128) -> MathResult<i128> {
    mul_div_ceil(base, sub(current_index, last_index)?, INDEX_TO_QUOTE)
}

/// Index change spreading a socialized loss over the paying side's open interest.
pub fn socialized_loss_index_delta(loss: i128, paying_open_interest: i128, longs_pay: bool) -> MathResult<i128> {
    if loss <= 0 || paying_open_interest <= 0 {
        return Ok(0);
    }
    let per_unit = div_ceil(mul(loss, INDEX_TO_QUOTE)?, paying_open_interest)?;
    Ok(if longs_pay { per_unit } else { -per_unit })
}

/// Time-weighted average over a window (Drift's calculate_new_twap): the new sample weighs the elapsed
/// time (capped at the window), the old average the rest; floored. An empty average takes the sample.
pub fn update_twap(twap: i128, sample: i128, elapsed_secs: i128, window_secs: i128) -> MathResult<i128> {
    if twap <= 0 || window_secs <= 0 {
        return Ok(sample);
    }
    let elapsed = elapsed_secs.clamp(0, window_secs);
    div_floor(
        add(mul(twap, window_secs - elapsed)?, mul(sample, elapsed)?)?,
        window_secs,
    )
}
