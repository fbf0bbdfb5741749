//! Fills, fees and PnL (domain/perp/trading.ts).
use super::fixed_point::*;
use super::oracle::{check_oracle, OracleVerdict};
use super::{MarketParams, Position};

/// Fill price with skew-based impact: oracle * (1 + (2*skew + delta) / (2*skew_scale)); buyers rounded up.
pub fn fill_price(oracle_price: i128, skew_base: i128, delta_base: i128, skew_scale_base: i128) -> MathResult<i128> {
    let numerator = oracle_price.safe_mul(2.safe_mul(skew_base)?.safe_add(delta_base)?)?;
    let denominator = 2.safe_mul(skew_scale_base)?;
    let premium = if delta_base > 0 {
        numerator.safe_div_ceil(denominator)?
    } else {
        numerator.safe_div_floor(denominator)?
    };
    let price = oracle_price.safe_add(premium)?;
    Ok(if price > 1 { price } else { 1 })
}

pub fn taker_fee(params: &MarketParams, delta_base: i128, price: i128) -> MathResult<i128> {
    mul_div_ceil(notional_ceil(delta_base, price)?, params.taker_fee_bps, BPS_PRECISION)
}

pub fn maker_rebate(params: &MarketParams, delta_base: i128, price: i128) -> MathResult<i128> {
    mul_div_floor(
        notional_ceil(delta_base, price)?,
        params.maker_rebate_bps,
        BPS_PRECISION,
    )
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
        let closed = if delta_base.abs() >= base.abs() {
            -base
        } else {
            delta_base
        };
        let entry_share = mul_div_ceil(quote_entry, -closed, base)?;
        realized_pnl = quote_value_floor(-closed, price)?.safe_sub(entry_share)?;
        base = base.safe_add(closed)?;
        quote_entry = quote_entry.safe_sub(entry_share)?;
        opening = delta_base.safe_sub(closed)?;
    }
    if opening != 0 {
        base = base.safe_add(opening)?;
        quote_entry = quote_entry.safe_add(quote_value_ceil(opening, price)?)?;
    }
    let before = position.base;
    Ok(FillOutcome {
        position: Position {
            base,
            quote_entry,
            last_funding_index: position.last_funding_index,
        },
        realized_pnl,
        long_open_interest_delta: before_after(before, base, 1),
        short_open_interest_delta: before_after(before, base, -1),
    })
}

fn before_after(before: i128, after: i128, side: i128) -> i128 {
    (after * side).max(0) - (before * side).max(0)
}

pub fn unrealized_pnl(position: &Position, price: i128) -> MathResult<i128> {
    quote_value_floor(position.base, price)?.safe_sub(position.quote_entry)
}

/// Why the program refuses a fill before margin (its error names are the program's ErrorCode names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillRefusal {
    ReduceOnlyViolated,
    MarketPaused,
    Oracle(OracleVerdict),
    SlippageExceeded,
    MaxOpenInterest,
}

impl FillRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            FillRefusal::ReduceOnlyViolated => "ReduceOnlyViolated",
            FillRefusal::MarketPaused => "MarketPaused",
            FillRefusal::Oracle(OracleVerdict::Stale) => "OracleStale",
            FillRefusal::Oracle(OracleVerdict::LowConfidence) => "OracleLowConfidence",
            FillRefusal::Oracle(OracleVerdict::NonPositive) => "OracleNonPositive",
            FillRefusal::Oracle(OracleVerdict::TwapDeviation) => "OracleTwapDeviation",
            FillRefusal::Oracle(OracleVerdict::Ok) => "Ok",
            FillRefusal::SlippageExceeded => "SlippageExceeded",
            FillRefusal::MaxOpenInterest => "MaxOpenInterest",
        }
    }
}

/// The market as a fill sees it: open interest, its cap, and the oracle TWAP before this fill moves it.
#[derive(Clone, Copy, Debug)]
pub struct FillMarket {
    pub long_open_interest: i128,
    pub short_open_interest: i128,
    pub max_open_interest: i128,
    pub oracle_twap: i128,
    /// A paused market takes no fill that adds risk (closing at a reliable price goes on).
    pub paused: bool,
}

/// An oracle reading and the slot it is read at.
#[derive(Clone, Copy, Debug)]
pub struct FillOracle {
    pub price: i128,
    pub confidence: i128,
    pub publish_slot: i128,
    pub slot: i128,
}

/// What a fill's checks decided: the size after the reduce-only clamp, whether it adds risk, price and fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillPlan {
    pub delta: i128,
    pub risk_increasing: bool,
    pub price: i128,
    pub fee: i128,
}

/// The pre-trade rule of one fill, in the program's order (domain/perp/trading.ts `planFill` is the same):
/// a reduce-only order is clamped to the position and refused if it would not reduce; a fill adds risk when
/// the position grows or flips, which a paused market refuses; every fill needs a fresh, positive, confident price, and adding risk also
/// needs it near its TWAP (the TWAP before this fill: it moves only after the check); the skewed fill price
/// must respect the order's limit; adding risk must keep both sides' open interest within the cap. Margin
/// after the fill is checked on the whole account (margin.rs).
pub fn plan_fill(
    params: &MarketParams,
    market: &FillMarket,
    oracle: &FillOracle,
    position_base: i128,
    order_base: i128,
    limit_price: i128,
    reduce_only: bool,
) -> MathResult<Result<FillPlan, FillRefusal>> {
    let before = position_base;
    let mut delta = order_base;
    if reduce_only {
        if before == 0 || before.signum() == delta.signum() {
            return Ok(Err(FillRefusal::ReduceOnlyViolated));
        }
        delta = delta.signum() * delta.abs().min(before.abs());
    }
    let after = before.safe_add(delta)?;
    let risk_increasing = after.abs() > before.abs() || after.signum() * before.signum() < 0;
    if market.paused && risk_increasing {
        return Ok(Err(FillRefusal::MarketPaused));
    }
    let verdict = check_oracle(
        params,
        oracle.price,
        oracle.confidence,
        oracle.publish_slot,
        oracle.slot,
        market.oracle_twap,
    )?;
    let tolerated = verdict == OracleVerdict::TwapDeviation && !risk_increasing;
    if verdict != OracleVerdict::Ok && !tolerated {
        return Ok(Err(FillRefusal::Oracle(verdict)));
    }
    let skew = market.long_open_interest.safe_sub(market.short_open_interest)?;
    let price = fill_price(oracle.price, skew, delta, params.skew_scale_base)?;
    if if delta > 0 {
        price > limit_price
    } else {
        price < limit_price
    } {
        return Ok(Err(FillRefusal::SlippageExceeded));
    }
    let fee = taker_fee(params, delta, price)?;
    if risk_increasing {
        let long = market.long_open_interest.safe_add(before_after(before, after, 1))?;
        let short = market.short_open_interest.safe_add(before_after(before, after, -1))?;
        if long.max(short) > market.max_open_interest {
            return Ok(Err(FillRefusal::MaxOpenInterest));
        }
    }
    Ok(Ok(FillPlan {
        delta,
        risk_increasing,
        price,
        fee,
    }))
}

/// What settling `claim` with the PnL pool pays (domain/perp/trading.ts `poolPayout`): `claim` is what the
/// pool owes the account (its unsettled PnL plus this settlement; < 0: what the account owes the pool).
/// A debt is paid in full; a claim only up to the pool's positive balance, the rest stays unsettled on the
/// account (paid as the pool refills, never withdrawable before), so winners are never paid from deposits.
/// Returns (moved into collateral, < 0 out of it; left unsettled).
pub fn pool_payout(claim: i128, pool: i128) -> (i128, i128) {
    if claim <= 0 {
        return (claim, 0);
    }
    let paid = claim.min(pool.max(0));
    (paid, claim - paid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::MarketParams;

    fn position(base: i128, quote_entry: i128) -> Position {
        Position {
            base,
            quote_entry,
            last_funding_index: 0,
        }
    }

    #[test]
    fn closing_at_the_entry_price_realizes_at_most_zero() {
        let price = 101 * PRICE_PRECISION + 7;
        let open = apply_fill(&position(0, 0), -3 * BASE_PRECISION - 1, price).unwrap();
        let close = apply_fill(&open.position, 3 * BASE_PRECISION + 1, price).unwrap();
        assert!(close.realized_pnl <= 0);
        assert_eq!(close.position.base, 0);
        assert_eq!(close.short_open_interest_delta, -(3 * BASE_PRECISION + 1));
    }

    #[test]
    fn a_flip_closes_then_opens_the_rest() {
        let long = apply_fill(&position(0, 0), 2 * BASE_PRECISION, 100 * PRICE_PRECISION).unwrap();
        let flipped = apply_fill(&long.position, -5 * BASE_PRECISION, 110 * PRICE_PRECISION).unwrap();
        assert_eq!(flipped.realized_pnl, 20 * QUOTE_PRECISION);
        assert_eq!(flipped.position.base, -3 * BASE_PRECISION);
        assert_eq!(
            (flipped.long_open_interest_delta, flipped.short_open_interest_delta),
            (-2 * BASE_PRECISION, 3 * BASE_PRECISION)
        );
    }

    #[test]
    fn the_pool_pays_a_claim_only_up_to_what_it_holds() {
        assert_eq!(pool_payout(100, 30), (30, 70));
        assert_eq!(pool_payout(100, -5), (0, 100));
        assert_eq!(pool_payout(-40, 0), (-40, 0));
    }

    #[test]
    fn reduce_only_is_clamped_to_the_position_and_refused_when_it_would_add() {
        let params = MarketParams {
            initial_margin_bps: 1_000,
            maintenance_margin_bps: 500,
            imf_bps_per_sqrt_unit: 1,
            taker_fee_bps: 5,
            maker_rebate_bps: 0,
            liquidation_fee_bps: 100,
            max_liquidation_fraction_bps: 2_500,
            liquidation_buffer_bps: 50,
            skew_scale_base: 2_000_000 * BASE_PRECISION,
            funding_rate_cap: 1_000_000,
            oracle_max_stale_slots: 25,
            oracle_max_confidence_bps: 200,
            oracle_max_twap_deviation_bps: 1_000,
        };
        let market = FillMarket {
            long_open_interest: 0,
            short_open_interest: 0,
            max_open_interest: i128::MAX,
            oracle_twap: 0,
            paused: true,
        };
        let oracle = FillOracle {
            price: 100 * PRICE_PRECISION,
            confidence: 0,
            publish_slot: 10,
            slot: 10,
        };
        let plan = plan_fill(
            &params,
            &market,
            &oracle,
            2 * BASE_PRECISION,
            -5 * BASE_PRECISION,
            0,
            true,
        )
        .unwrap()
        .unwrap();
        assert_eq!((plan.delta, plan.risk_increasing), (-2 * BASE_PRECISION, false)); // a paused market still takes a close
        assert_eq!(
            plan_fill(
                &params,
                &market,
                &oracle,
                2 * BASE_PRECISION,
                BASE_PRECISION,
                i128::MAX,
                true
            )
            .unwrap(),
            Err(FillRefusal::ReduceOnlyViolated)
        );
        assert_eq!(
            plan_fill(&params, &market, &oracle, 0, BASE_PRECISION, i128::MAX, false).unwrap(),
            Err(FillRefusal::MarketPaused)
        );
    }
}
