use anchor_lang::prelude::*;

use crate::math::MathError;

/// Named failures; workflows map them to ApplicationFailure types of the same name.
#[error_code]
pub enum ErrorCode {
    #[msg("signer is not allowed to do this")]
    Unauthorized,
    #[msg("market parameters are invalid")]
    InvalidMarketParams,
    #[msg("oracle account does not match the market or is not a Pyth v2 price account")]
    InvalidOracle,
    #[msg("oracle price is stale")]
    OracleStale,
    #[msg("oracle confidence interval is too wide")]
    OracleLowConfidence,
    #[msg("oracle price deviates too far from its TWAP")]
    OracleTwapDeviation,
    #[msg("oracle price is not positive")]
    OracleNonPositive,
    #[msg("market is paused")]
    MarketPaused,
    #[msg("not enough collateral for the initial margin requirement")]
    InsufficientCollateral,
    #[msg("withdrawal exceeds free collateral")]
    InsufficientFreeCollateral,
    #[msg("order nonce already used")]
    OrderNonceReused,
    #[msg("order has expired")]
    OrderExpired,
    #[msg("order message is not signed by the account's authority")]
    InvalidOrderSignature,
    #[msg("fill price is beyond the order's limit")]
    SlippageExceeded,
    #[msg("reduce-only order would open or increase a position")]
    ReduceOnlyViolated,
    #[msg("open interest cap reached")]
    MaxOpenInterest,
    #[msg("account is not below maintenance margin")]
    NotLiquidatable,
    #[msg("account is not bankrupt")]
    NotBankrupt,
    #[msg("funding is not due yet")]
    FundingNotDue,
    #[msg("all position slots are in use")]
    PositionSlotsFull,
    #[msg("the market and oracle accounts of every open position must be passed")]
    MissingMarketAccounts,
    #[msg("order size must not be zero")]
    ZeroSize,
    #[msg("amount must be positive")]
    ZeroAmount,
    #[msg("arithmetic overflow")]
    MathOverflow,
    #[msg("division by zero")]
    DivisionByZero,
    #[msg("invalid math input")]
    InvalidMathInput,
    #[msg("liquidation belongs to an episode that is not the account's current one")]
    StaleLiquidation,
    #[msg("cancel between 1 and 16 order nonces at once")]
    InvalidNonceList,
    #[msg("a new admin or keeper must be a real key")]
    InvalidAuthority,
}

impl From<MathError> for ErrorCode {
    fn from(e: MathError) -> Self {
        match e {
            MathError::Overflow => ErrorCode::MathOverflow,
            MathError::DivisionByZero => ErrorCode::DivisionByZero,
            MathError::NegativeSqrt | MathError::InvalidInput => ErrorCode::InvalidMathInput,
        }
    }
}

impl From<MathError> for anchor_lang::error::Error {
    fn from(e: MathError) -> Self {
        ErrorCode::from(e).into()
    }
}

/// Guard with a named error (Drift's `validate!`). The transaction's log says which condition failed and
/// where (`validate!(equity >= requirement) failed at src/instructions/fill_order.rs:88`), beside the error
/// Anchor logs by name.
#[macro_export]
macro_rules! validate {
    ($cond:expr, $err:expr) => {
        if !($cond) {
            anchor_lang::prelude::msg!("validate!({}) failed at {}:{}", stringify!($cond), file!(), line!());
            return Err(anchor_lang::error::Error::from($err));
        }
    };
}
