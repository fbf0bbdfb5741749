//! Oracle guards (domain/perp/oracle.ts).
use super::fixed_point::*;
use super::MarketParams;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OracleVerdict {
    Ok,
    Stale,
    LowConfidence,
    NonPositive,
    TwapDeviation,
}

impl OracleVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            OracleVerdict::Ok => "ok",
            OracleVerdict::Stale => "stale",
            OracleVerdict::LowConfidence => "low-confidence",
            OracleVerdict::NonPositive => "non-positive",
            OracleVerdict::TwapDeviation => "twap-deviation",
        }
    }
}

pub fn check_oracle(
    params: &MarketParams,
    price: i128,
    confidence: i128,
    publish_slot: i128,
    current_slot: i128,
    twap: i128,
) -> MathResult<OracleVerdict> {
    if price <= 0 {
        return Ok(OracleVerdict::NonPositive);
    }
    if current_slot > publish_slot && current_slot - publish_slot > params.oracle_max_stale_slots {
        return Ok(OracleVerdict::Stale);
    }
    if confidence.safe_mul(BPS_PRECISION)? > price.safe_mul(params.oracle_max_confidence_bps)? {
        return Ok(OracleVerdict::LowConfidence);
    }
    if twap > 0
        && price.safe_sub(twap)?.abs().safe_mul(BPS_PRECISION)? > twap.safe_mul(params.oracle_max_twap_deviation_bps)?
    {
        return Ok(OracleVerdict::TwapDeviation);
    }
    Ok(OracleVerdict::Ok)
}
