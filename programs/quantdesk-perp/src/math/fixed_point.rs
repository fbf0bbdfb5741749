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

/// Checked arithmetic that reads left to right, as Drift's SafeMath: `a.safe_mul(b)?.safe_div_ceil(d)?`.
/// Each step fails with a MathError instead of wrapping; divisions name their rounding.
pub trait SafeMath: Sized {
    fn safe_add(self, rhs: Self) -> MathResult<Self>;
    fn safe_sub(self, rhs: Self) -> MathResult<Self>;
    fn safe_mul(self, rhs: Self) -> MathResult<Self>;
    /// Rounds toward negative infinity.
    fn safe_div_floor(self, rhs: Self) -> MathResult<Self>;
    /// Rounds toward positive infinity.
    fn safe_div_ceil(self, rhs: Self) -> MathResult<Self>;
    /// Truncates toward zero.
    fn safe_div_trunc(self, rhs: Self) -> MathResult<Self>;
}

impl SafeMath for i128 {
    fn safe_add(self, rhs: i128) -> MathResult<i128> {
        add(self, rhs)
    }
    fn safe_sub(self, rhs: i128) -> MathResult<i128> {
        sub(self, rhs)
    }
    fn safe_mul(self, rhs: i128) -> MathResult<i128> {
        mul(self, rhs)
    }
    fn safe_div_floor(self, rhs: i128) -> MathResult<i128> {
        div_floor(self, rhs)
    }
    fn safe_div_ceil(self, rhs: i128) -> MathResult<i128> {
        div_ceil(self, rhs)
    }
    fn safe_div_trunc(self, rhs: i128) -> MathResult<i128> {
        div_trunc(self, rhs)
    }
}

/// Checked conversion between integer widths, as Drift's Cast: `value.cast::<u64>()?` fails with
/// MathError::Overflow instead of truncating.
pub trait Cast: Sized {
    fn cast<T: TryFrom<Self>>(self) -> MathResult<T> {
        T::try_from(self).map_err(|_| MathError::Overflow)
    }
}
impl Cast for i128 {}
impl Cast for i64 {}
impl Cast for u64 {}
impl Cast for u16 {}

pub fn mul_div_floor(a: i128, b: i128, d: i128) -> MathResult<i128> {
    a.safe_mul(b)?.safe_div_floor(d)
}
pub fn mul_div_ceil(a: i128, b: i128, d: i128) -> MathResult<i128> {
    a.safe_mul(b)?.safe_div_ceil(d)
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
        assert_eq!(i128::MIN.safe_sub(1), Err(MathError::Overflow));
        assert_eq!((-1i128).cast::<u64>(), Err(MathError::Overflow));
        assert_eq!((u64::MAX as i128 + 1).cast::<u64>(), Err(MathError::Overflow));
        assert_eq!(42i128.cast::<i64>(), Ok(42));
    }

    #[test]
    fn safe_math_reads_left_to_right_with_named_rounding() {
        assert_eq!(7i128.safe_mul(3).and_then(|x| x.safe_div_ceil(2)), Ok(11));
        assert_eq!((-7i128).safe_div_trunc(2), Ok(-3));
        assert_eq!(1i128.safe_div_floor(0), Err(MathError::DivisionByZero));
        assert_eq!(
            quote_value_floor(-BASE_PRECISION - 1, PRICE_PRECISION),
            Ok(-QUOTE_PRECISION - 1)
        );
        assert_eq!(notional_ceil(-1, 1), Ok(1));
    }
}
