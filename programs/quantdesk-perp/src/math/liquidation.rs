//! Partial liquidation, fee and bankruptcy (domain/perp/liquidation.ts).
use super::fixed_point::*;
use super::margin::*;
use super::Account;

/// Base (positive) to close in one step: enough to restore maintenance plus buffer after the fee, at
/// most the market's fraction of the position; 0 when the account is healthy. An account that closing
/// everything would not restore closes everything at once (domain/perp/liquidation.ts says why).
pub fn liquidation_size(account: &Account, index: usize) -> MathResult<i128> {
    let Some(target) = account.positions.get(index) else {
        return Ok(0);
    };
    if target.position.base == 0 || !is_below_maintenance(account)? {
        return Ok(0);
    }
    let params = &target.params;
    let size = target.position.base.abs();
    let max_step = div_ceil(mul(size, params.max_liquidation_fraction_bps)?, BPS_PRECISION)?;
    let t = add(
        maintenance_margin_ratio_bps(params, target.position.base)?,
        params.liquidation_buffer_bps,
    )?;
    let f = params.liquidation_fee_bps;
    if t <= f {
        return Ok(size.min(max_step));
    }
    let other_req = sub(
        margin_requirement(account, MarginKind::Maintenance)?,
        position_requirement(target, MarginKind::Maintenance)?,
    )?;
    let notional = notional_ceil(target.position.base, target.price)?;
    let shortfall = sub(
        add(mul(other_req, BPS_PRECISION)?, mul(t, notional)?)?,
        mul(equity(account)?, BPS_PRECISION)?,
    )?;
    let close_notional = div_ceil(shortfall.max(0), t - f)?;
    let close_base = div_ceil(mul(close_notional, BASE_TO_QUOTE)?, target.price)?;
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
