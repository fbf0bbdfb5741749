//! Margin, equity, leverage, liquidation price, max order size (domain/perp/margin.ts).
use super::fixed_point::*;
use super::funding::funding_owed;
use super::trading::{apply_fill, taker_fee, unrealized_pnl};
use super::{Account, MarketParams, PricedPosition};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginKind {
    Initial,
    Maintenance,
}

/// imr = max(base ratio, imf * sqrt(whole units)), rounded up (Drift's size-based margin).
pub fn initial_margin_ratio_bps(params: &MarketParams, base: i128) -> MathResult<i128> {
    let sqrt_units_scaled = isqrt(base.abs().safe_mul(BASE_PRECISION)?)?;
    let size_bps = params
        .imf_bps_per_sqrt_unit
        .safe_mul(sqrt_units_scaled)?
        .safe_div_ceil(BASE_PRECISION)?;
    Ok(params.initial_margin_bps.max(size_bps))
}

pub fn maintenance_margin_ratio_bps(params: &MarketParams, base: i128) -> MathResult<i128> {
    let size_bps = initial_margin_ratio_bps(params, base)?
        .safe_mul(params.maintenance_margin_bps)?
        .safe_div_ceil(params.initial_margin_bps)?;
    Ok(params.maintenance_margin_bps.max(size_bps))
}

pub fn position_requirement(p: &PricedPosition, kind: MarginKind) -> MathResult<i128> {
    let ratio = match kind {
        MarginKind::Initial => initial_margin_ratio_bps(&p.params, p.position.base)?,
        MarginKind::Maintenance => maintenance_margin_ratio_bps(&p.params, p.position.base)?,
    };
    mul_div_ceil(notional_ceil(p.position.base, p.price)?, ratio, BPS_PRECISION)
}

pub fn margin_requirement(account: &Account, kind: MarginKind) -> MathResult<i128> {
    account
        .positions
        .iter()
        .try_fold(0, |sum: i128, p| sum.safe_add(position_requirement(p, kind)?))
}

pub fn equity(account: &Account) -> MathResult<i128> {
    account.positions.iter().try_fold(account.collateral, |sum, p| {
        let owed = funding_owed(p.position.base, p.position.last_funding_index, p.funding_index)?;
        sum.safe_add(unrealized_pnl(&p.position, p.price)?)?.safe_sub(owed)
    })
}

pub fn free_collateral(account: &Account) -> MathResult<i128> {
    Ok(equity(account)?
        .safe_sub(margin_requirement(account, MarginKind::Initial)?)?
        .max(0))
}

pub fn is_below_maintenance(account: &Account) -> MathResult<bool> {
    Ok(equity(account)? < margin_requirement(account, MarginKind::Maintenance)?)
}

/// Price of position `index` at which the account reaches maintenance (see the TypeScript twin).
pub fn liquidation_price(account: &Account, index: usize) -> MathResult<Option<i128>> {
    let Some(target) = account.positions.get(index) else {
        return Ok(None);
    };
    let b = target.position.base;
    if b == 0 {
        return Ok(None);
    }
    let m = maintenance_margin_ratio_bps(&target.params, b)?;
    let mut other_req = 0;
    for (i, p) in account.positions.iter().enumerate() {
        if i != index {
            other_req = other_req.safe_add(position_requirement(p, MarginKind::Maintenance)?)?;
        }
    }
    let e0 = equity(account)?
        .safe_sub(quote_value_floor(b, target.price)?)?
        .safe_sub(other_req)?;
    let denominator = b.safe_mul(BPS_PRECISION)?.safe_sub(m.safe_mul(b.abs())?)?;
    if denominator == 0 {
        return Ok(None);
    }
    let numerator = (-e0).safe_mul(BASE_TO_QUOTE)?.safe_mul(BPS_PRECISION)?;
    let price = if b > 0 {
        numerator.safe_div_ceil(denominator)?
    } else {
        numerator.safe_div_floor(denominator)?
    };
    Ok(if price > 0 { Some(price) } else { None })
}

const MAX_SEARCH_STEPS: i128 = 1 << 48;

/// Largest size addable in `direction` at `price` that keeps the initial requirement met after the fee.
pub fn max_order_size(
    account: &Account,
    index: usize,
    direction: i128,
    price: i128,
    step_base: i128,
) -> MathResult<i128> {
    let target = *account.positions.get(index).ok_or(MathError::InvalidInput)?;
    let fits = |size: i128| -> MathResult<bool> {
        let delta = direction.safe_mul(size)?;
        let fill = apply_fill(&target.position, delta, price)?;
        let mut next = account.clone();
        next.collateral =
            account
                .collateral
                .safe_add(fill.realized_pnl)?
                .safe_sub(taker_fee(&target.params, delta, price)?)?;
        next.positions[index] = PricedPosition {
            position: fill.position,
            price,
            ..target
        };
        Ok(equity(&next)? >= margin_requirement(&next, MarginKind::Initial)?)
    };
    if !fits(step_base)? {
        return Ok(0);
    }
    let (mut lo, mut hi) = (1i128, 2i128);
    while hi < MAX_SEARCH_STEPS && fits(hi.safe_mul(step_base)?)? {
        lo = hi;
        hi <<= 1;
    }
    while hi - lo > 1 {
        let mid = (lo + hi) >> 1;
        if fits(mid.safe_mul(step_base)?)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo.safe_mul(step_base)
}
