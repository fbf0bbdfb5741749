//! Funding rate and the cumulative index (domain/perp/funding.ts).
use super::fixed_point::*;

pub const FUNDING_PERIODS_PER_DAY: i128 = 24;
const INDEX_TO_QUOTE: i128 = BASE_PRECISION * FUNDING_INDEX_PRECISION;

/// Hourly rate: (mark TWAP - oracle TWAP) / oracle TWAP / 24, truncated toward zero, capped.
pub fn funding_rate(mark_twap: i128, oracle_twap: i128, cap: i128) -> MathResult<i128> {
    if oracle_twap <= 0 {
        return Err(MathError::InvalidInput);
    }
    let rate = mark_twap
        .safe_sub(oracle_twap)?
        .safe_mul(FUNDING_RATE_PRECISION)?
        .safe_div_trunc(oracle_twap.safe_mul(FUNDING_PERIODS_PER_DAY)?)?;
    Ok(rate.clamp(-cap, cap))
}

pub fn funding_index_delta(rate: i128, oracle_price: i128) -> MathResult<i128> {
    rate.safe_mul(oracle_price)
}

/// Funding owed since the last settlement, rounded up (payers pay the extra unit).
pub fn funding_owed(base: i128, last_index: i128, current_index: i128) -> MathResult<i128> {
    mul_div_ceil(base, current_index.safe_sub(last_index)?, INDEX_TO_QUOTE)
}

/// Index change spreading a socialized loss over the paying side's open interest.
pub fn socialized_loss_index_delta(loss: i128, paying_open_interest: i128, longs_pay: bool) -> MathResult<i128> {
    if loss <= 0 || paying_open_interest <= 0 {
        return Ok(0);
    }
    let per_unit = loss.safe_mul(INDEX_TO_QUOTE)?.safe_div_ceil(paying_open_interest)?;
    Ok(if longs_pay { per_unit } else { -per_unit })
}

/// Time-weighted average over a window (Drift's calculate_new_twap): the new sample weighs the elapsed
/// time (capped at the window), the old average the rest; floored. An empty average takes the sample.
pub fn update_twap(twap: i128, sample: i128, elapsed_secs: i128, window_secs: i128) -> MathResult<i128> {
    if twap <= 0 || window_secs <= 0 {
        return Ok(sample);
    }
    let elapsed = elapsed_secs.clamp(0, window_secs);
    twap.safe_mul(window_secs - elapsed)?
        .safe_add(sample.safe_mul(elapsed)?)?
        .safe_div_floor(window_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_capped_and_truncated_toward_zero() {
        assert_eq!(funding_rate(101, 100, i128::MAX), Ok(FUNDING_RATE_PRECISION / 100 / 24));
        assert_eq!(funding_rate(200, 100, 1_000), Ok(1_000));
        assert_eq!(funding_rate(0, 100, 1_000), Ok(-1_000));
        assert_eq!(funding_rate(1, 0, 1), Err(MathError::InvalidInput));
    }

    #[test]
    fn payers_pay_the_extra_unit_and_a_socialized_loss_is_recovered_in_full() {
        assert_eq!(funding_owed(1, 0, 1), Ok(1)); // a tiny debt rounds up
        assert_eq!(funding_owed(-1, 0, 1), Ok(0)); // a tiny credit rounds down
        let oi = 3 * BASE_PRECISION;
        let longs = socialized_loss_index_delta(10, oi, true).unwrap();
        assert!(funding_owed(oi, 0, longs).unwrap() >= 10);
        assert!(socialized_loss_index_delta(10, oi, false).unwrap() < 0); // shorts pay through a falling index
        assert_eq!(socialized_loss_index_delta(10, 0, true), Ok(0));
    }

    #[test]
    fn the_twap_weighs_the_elapsed_time() {
        assert_eq!(update_twap(0, 50, 10, 100), Ok(50));
        assert_eq!(update_twap(100, 200, 50, 100), Ok(150));
        assert_eq!(update_twap(100, 200, 1_000, 100), Ok(200));
    }
}
