use anchor_lang::prelude::*;

use crate::errors::ErrorCode;
use crate::math::oracle::{check_oracle, OracleVerdict};
use crate::math::*;
use crate::state::Market;

// Pyth v2 price account layout (the one @pythnetwork/client parses).
const PYTH_MAGIC: u32 = 0xa1b2_c3d4;
const PYTH_VERSION: u32 = 2;
const PYTH_PRICE_ACCOUNT: u32 = 3;
const PYTH_STATUS_TRADING: u32 = 1;
const PYTH_MIN_LEN: usize = 240;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleReading {
    /// PRICE_PRECISION, floored.
    pub price: i128,
    /// PRICE_PRECISION, rounded up.
    pub confidence: i128,
    pub publish_slot: i128,
}

fn u32_at(d: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(d[at..at + 4].try_into().unwrap())
}
fn i64_at(d: &[u8], at: usize) -> i64 {
    i64::from_le_bytes(d[at..at + 8].try_into().unwrap())
}

/// Reads the aggregate price of a Pyth v2 price account, normalised to PRICE_PRECISION.
pub fn read_pyth(oracle: &AccountInfo, market: &Market) -> Result<OracleReading> {
    validate!(oracle.key() == market.oracle, ErrorCode::InvalidOracle);
    let data = oracle.try_borrow_data()?;
    validate!(data.len() >= PYTH_MIN_LEN, ErrorCode::InvalidOracle);
    validate!(
        u32_at(&data, 0) == PYTH_MAGIC && u32_at(&data, 4) == PYTH_VERSION,
        ErrorCode::InvalidOracle
    );
    validate!(u32_at(&data, 8) == PYTH_PRICE_ACCOUNT, ErrorCode::InvalidOracle);
    let expo = i32::from_le_bytes(data[20..24].try_into().unwrap());
    let price = i128::from(i64_at(&data, 208));
    let confidence = i128::from(u64::from_le_bytes(data[216..224].try_into().unwrap()));
    let status = u32_at(&data, 224);
    let publish_slot = i128::from(u64::from_le_bytes(data[232..240].try_into().unwrap()));
    validate!(status == PYTH_STATUS_TRADING, ErrorCode::OracleStale);
    validate!((-18..=6).contains(&expo), ErrorCode::InvalidOracle);
    let shift = expo + 6; // to PRICE_PRECISION (expo -6)
    let (price, confidence) = if shift >= 0 {
        let k = 10i128.pow(shift as u32);
        (price.safe_mul(k)?, confidence.safe_mul(k)?)
    } else {
        let k = 10i128.pow((-shift) as u32);
        (price.safe_div_floor(k)?, confidence.safe_div_ceil(k)?)
    };
    Ok(OracleReading {
        price,
        confidence,
        publish_slot,
    })
}

/// The guards every risk-increasing action passes (staleness, confidence, TWAP deviation).
pub fn require_healthy(reading: &OracleReading, market: &Market, slot: u64) -> Result<()> {
    let verdict = check_oracle(
        &market.config.math(),
        reading.price,
        reading.confidence,
        reading.publish_slot,
        i128::from(slot),
        i128::from(market.oracle_twap),
    )?;
    match verdict {
        OracleVerdict::Ok => Ok(()),
        refused => Err(oracle_refusal(refused)),
    }
}

/// The program error for an oracle verdict other than ok.
pub fn oracle_refusal(verdict: OracleVerdict) -> Error {
    match verdict {
        OracleVerdict::Stale | OracleVerdict::Ok => error!(ErrorCode::OracleStale),
        OracleVerdict::LowConfidence => error!(ErrorCode::OracleLowConfidence),
        OracleVerdict::NonPositive => error!(ErrorCode::OracleNonPositive),
        OracleVerdict::TwapDeviation => error!(ErrorCode::OracleTwapDeviation),
    }
}

/// Fills that reduce risk: every guard but the TWAP deviation (a trader closing in a fast market is not
/// the manipulation it guards against), so no fill ever executes at a stale or unconfident price.
pub fn require_reliable(reading: &OracleReading, market: &Market, slot: u64) -> Result<()> {
    match require_healthy(reading, market, slot) {
        Err(e) if e == ErrorCode::OracleTwapDeviation.into() => Ok(()),
        other => other,
    }
}

/// Liquidations and funding need a fresh, positive price but not a tight confidence interval.
pub fn require_fresh(reading: &OracleReading, market: &Market, slot: u64) -> Result<()> {
    validate!(reading.price > 0, ErrorCode::OracleNonPositive);
    let age = i128::from(slot) - reading.publish_slot;
    validate!(
        age <= i128::from(market.config.oracle_max_stale_slots),
        ErrorCode::OracleStale
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Pyth v2 price account (expo -8), as the localnet and the bank tests write them.
    fn pyth(price_e8: i64, conf_e8: u64, slot: u64, status: u32) -> Vec<u8> {
        let mut d = vec![0u8; PYTH_MIN_LEN];
        d[0..4].copy_from_slice(&PYTH_MAGIC.to_le_bytes());
        d[4..8].copy_from_slice(&PYTH_VERSION.to_le_bytes());
        d[8..12].copy_from_slice(&PYTH_PRICE_ACCOUNT.to_le_bytes());
        d[20..24].copy_from_slice(&(-8i32).to_le_bytes());
        d[208..216].copy_from_slice(&price_e8.to_le_bytes());
        d[216..224].copy_from_slice(&conf_e8.to_le_bytes());
        d[224..228].copy_from_slice(&status.to_le_bytes());
        d[232..240].copy_from_slice(&slot.to_le_bytes());
        d
    }

    fn read(data: &mut [u8], oracle: Pubkey, market_oracle: Pubkey) -> Result<OracleReading> {
        let (owner, mut lamports) = (Pubkey::new_unique(), 1u64);
        let info = AccountInfo::new(&oracle, false, false, &mut lamports, data, &owner, false, 0);
        let mut market: Market = Market::deserialize(&mut &[0u8; 1024][..]).unwrap();
        market.oracle = market_oracle;
        read_pyth(&info, &market)
    }

    #[test]
    fn reads_the_aggregate_at_price_precision_rounding_against_the_reader() {
        let key = Pubkey::new_unique();
        // 123.45678901 USD with a confidence of 0.00000101: the price floored, the confidence rounded up.
        let reading = read(&mut pyth(12_345_678_901, 101, 42, PYTH_STATUS_TRADING), key, key).unwrap();
        assert_eq!(
            reading,
            OracleReading {
                price: 123_456_789,
                confidence: 2,
                publish_slot: 42
            }
        );
    }

    #[test]
    fn refuses_another_account_a_foreign_layout_and_a_price_not_trading() {
        let key = Pubkey::new_unique();
        let err = |r: Result<OracleReading>| r.unwrap_err();
        assert_eq!(
            err(read(&mut pyth(1, 0, 1, PYTH_STATUS_TRADING), key, Pubkey::new_unique())),
            ErrorCode::InvalidOracle.into()
        );
        let mut foreign = pyth(1, 0, 1, PYTH_STATUS_TRADING);
        foreign[0] = 0;
        assert_eq!(err(read(&mut foreign, key, key)), ErrorCode::InvalidOracle.into());
        assert_eq!(
            err(read(&mut pyth(1, 0, 1, 0), key, key)),
            ErrorCode::OracleStale.into()
        );
    }
}
