//! Partial liquidation, fee and bankruptcy (domain/perp/liquidation.ts).
use super::fixed_point::*;
use super::margin::*;
use super::Account;

/// The most of a position step `step` of an episode may close (bps): the market's fraction, doubling
/// with each further step of the same episode, at most all of it (domain/perp/liquidation.ts says why).
pub fn liquidation_fraction_bps(max_liquidation_fraction_bps: i128, step: u16) -> i128 {
    let doubled = max_liquidation_fraction_bps << u32::from(step.min(16));
    doubled.min(BPS_PRECISION)
}

/// Base (positive) to close in step `step` of an episode: enough to restore maintenance plus buffer after
/// the fee, at most the step's fraction of the position; 0 when the account is healthy. An account that
/// closing everything would not restore closes everything at once (domain/perp/liquidation.ts says why).
pub fn liquidation_size(account: &Account, index: usize, step: u16) -> MathResult<i128> {
    let Some(target) = account.positions.get(index) else {
        return Ok(0);
    };
    if target.position.base == 0 || !is_below_maintenance(account)? {
        return Ok(0);
    }
    let params = &target.params;
    let size = target.position.base.abs();
    let max_step = size
        .safe_mul(liquidation_fraction_bps(params.max_liquidation_fraction_bps, step))?
        .safe_div_ceil(BPS_PRECISION)?;
    let t = maintenance_margin_ratio_bps(params, target.position.base)?.safe_add(params.liquidation_buffer_bps)?;
    let f = params.liquidation_fee_bps;
    if t <= f {
        return Ok(size.min(max_step));
    }
    let other_req = margin_requirement(account, MarginKind::Maintenance)?
        .safe_sub(position_requirement(target, MarginKind::Maintenance)?)?;
    let notional = notional_ceil(target.position.base, target.price)?;
    let shortfall = other_req
        .safe_mul(BPS_PRECISION)?
        .safe_add(t.safe_mul(notional)?)?
        .safe_sub(equity(account)?.safe_mul(BPS_PRECISION)?)?;
    let close_notional = shortfall.max(0).safe_div_ceil(t - f)?;
    let close_base = close_notional.safe_mul(BASE_TO_QUOTE)?.safe_div_ceil(target.price)?;
    if close_base >= size {
        return Ok(size);
    }
    Ok(close_base.min(max_step))
}

pub fn liquidation_fee(account: &Account, index: usize, close_base: i128) -> MathResult<i128> {
    let target = account.positions.get(index).ok_or(MathError::InvalidInput)?;
    let fee = mul_div_ceil(
        notional_ceil(close_base, target.price)?,
        target.params.liquidation_fee_bps,
        BPS_PRECISION,
    )?;
    Ok(fee.min(equity(account)?.max(0)))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BankruptcyResolution {
    pub insurance_paid: i128,
    pub socialized_loss: i128,
}

pub fn resolve_bankruptcy(collateral: i128, insurance_fund: i128) -> BankruptcyResolution {
    if collateral >= 0 {
        return BankruptcyResolution {
            insurance_paid: 0,
            socialized_loss: 0,
        };
    }
    let deficit = -collateral;
    let insurance_paid = deficit.min(insurance_fund.max(0));
    BankruptcyResolution {
        insurance_paid,
        socialized_loss: deficit - insurance_paid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insurance_pays_first_and_the_rest_is_socialized() {
        let r = resolve_bankruptcy(-100, 30);
        assert_eq!((r.insurance_paid, r.socialized_loss), (30, 70));
        let covered = resolve_bankruptcy(-100, 500);
        assert_eq!((covered.insurance_paid, covered.socialized_loss), (100, 0));
        assert_eq!(resolve_bankruptcy(5, 500).insurance_paid, 0);
        assert_eq!(resolve_bankruptcy(-100, -10).socialized_loss, 100); // a negative fund pays nothing
    }
}
