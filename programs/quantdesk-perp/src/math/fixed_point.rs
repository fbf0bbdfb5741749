//! Named precisions and rounding helpers (domain/perp/fixed-point.ts).
pub const PRICE_PRECISION: i128 = 1_000_000; // expo -6
pub const BASE_PRECISION: i128 = 1_000_000_000; // expo -9
pub const QUOTE_PRECISION: i128 = 1_000_000; // expo -6
pub const FUNDING_RATE_PRECISION: i128 = 1_000_000_000; // expo -9
pub const FUNDING_INDEX_PRECISION: i128 = FUNDING_RATE_PRECISION;
pub const BPS_PRECISION: i128 = 10_000;
pub const BASE_TO_QUOTE: i128 = BASE_PRECISION * PRICE_PRECISION / QUOTE_PRECISION;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathError {
    Overflow,
    DivisionByZero,
    NegativeSqrt,
    InvalidInput,
}

pub type MathResult<T> = Result<T, MathError>;

pub fn mul(a: i128, b: i128) -> MathResult<i128> {
    a.checked_mul(b).ok_or(MathError::Overflow)
}
pub fn add(a: i128, b: i128) -> MathResult<i128> {
    a.checked_add(b).ok_or(MathError::Overflow)
}
pub fn sub(a: i128, b: i128) -> MathResult<i128> {
    a.checked_sub(b).ok_or(MathError::Overflow)
}

/// Division rounding toward negative infinity.
pub fn div_floor(a: i128, b: i128) -> MathResult<i128> {
    if b == 0 {
        return Err(MathError::DivisionByZero);
    }
    let q = a.checked_div(b).ok_or(MathError::Overflow)?;
    Ok(if a % b != 0 && ((a < 0) != (b < 0)) { q - 1 } else { q })
}

/// Division rounding toward positive infinity.
pub fn div_ceil(a: i128, b: i128) -> MathResult<i128> {
    if b == 0 {
        return Err(MathError::DivisionByZero);
    }
    let q = a.checked_div(b).ok_or(MathError::Overflow)?;
    Ok(if a % b != 0 && ((a < 0) == (b < 0)) { q + 1 } else { q })
}

/// Division truncating toward zero.
pub fn div_trunc(a: i128, b: i128) -> MathResult<i128> {
    if b == 0 {
        return Err(MathError::DivisionByZero);
    }
    a.checked_div(b).ok_or(MathError::Overflow)
}

pub fn mul_div_floor(a: i128, b: i128, d: i128) -> MathResult<i128> {
    div_floor(mul(a, b)?, d)
}
pub fn mul_div_ceil(a: i128, b: i128, d: i128) -> MathResult<i128> {
    div_ceil(mul(a, b)?, d)
}

/// floor(sqrt(n)) by Newton's method, exact for every n >= 0.
pub fn isqrt(n: i128) -> MathResult<i128> {
    if n < 0 {
        return Err(MathError::NegativeSqrt);
    }
    if n < 2 {
        return Ok(n);
    }
    let mut x = n;
    let mut y = (x + 1) >> 1;
    while y < x {
        x = y;
        y = (x + n / x) >> 1;
    }
    Ok(x)
}

/// Signed quote value of a base amount at a price, rounded down.
pub fn quote_value_floor(base: i128, price: i128) -> MathResult<i128> {
    mul_div_floor(base, price, BASE_TO_QUOTE)
}
/// Signed quote value rounded up: what a payer is charged.
pub fn quote_value_ceil(base: i128, price: i128) -> MathResult<i128> {
    mul_div_ceil(base, price, BASE_TO_QUOTE)
}
/// Unsigned notional rounded up.
pub fn notional_ceil(base: i128, price: i128) -> MathResult<i128> {
    mul_div_ceil(base.abs(), price, BASE_TO_QUOTE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_brackets_the_quotient() {
        assert_eq!(div_floor(-7, 2), Ok(-4));
        assert_eq!(div_ceil(-7, 2), Ok(-3));
        assert_eq!(div_floor(7, -2), Ok(-4));
        assert_eq!(div_ceil(7, 2), Ok(4));
        assert_eq!(div_floor(1, 0), Err(MathError::DivisionByZero));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(mul(i128::MAX, 2), Err(MathError::Overflow));
    }
}
