use anchor_lang::prelude::*;

use crate::errors::ErrorCode;
use crate::math::oracle::{check_oracle, OracleVerdict};
use crate::math::*;
use crate::state::{Market, OracleSource};

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

// Switchboard on-demand pull feed (`PullFeedAccountData` of the switchboard-on-demand crate, repr(C) after
// Anchor's 8-byte discriminator): the current result's value and standard deviation are i128 with 18
// decimals; its slot is the slot of the oracle samples it aggregates.
pub const SWITCHBOARD_ON_DEMAND_ID: Pubkey = pubkey!("SBondMDrcV3K4kxZR1HNVT7osZxAHVHgYXL5Ze1oMUv");
pub const SWITCHBOARD_DISCRIMINATOR: [u8; 8] = [196, 27, 108, 196, 10, 215, 219, 40];
pub const SWITCHBOARD_FEED_LEN: usize = 8 + 3200;
const SB_RESULT_VALUE: usize = 8 + 2256;
const SB_RESULT_STD_DEV: usize = 8 + 2272;
const SB_RESULT_NUM_SAMPLES: usize = 8 + 2352;
const SB_RESULT_SLOT: usize = 8 + 2360;
/// 18 decimals to PRICE_PRECISION's 6.
const SB_TO_PRICE: i128 = 1_000_000_000_000;

fn i128_at(d: &[u8], at: usize) -> i128 {
    i128::from_le_bytes(d[at..at + 16].try_into().unwrap())
}

/// Reads the market's oracle, of the kind the market names, normalised to PRICE_PRECISION: the account
/// must be the market's, and a Switchboard feed must belong to the Switchboard on-demand program.
pub fn read_oracle(oracle: &AccountInfo, market: &Market) -> Result<OracleReading> {
    validate!(oracle.key() == market.oracle, ErrorCode::InvalidOracle);
    let data = oracle.try_borrow_data()?;
    match market.oracle_source {
        OracleSource::Pyth => pyth_reading(&data),
        OracleSource::SwitchboardOnDemand => {
            validate!(*oracle.owner == SWITCHBOARD_ON_DEMAND_ID, ErrorCode::InvalidOracle);
            switchboard_reading(&data)
        }
    }
}

/// The current result of a Switchboard on-demand pull feed: value floored, standard deviation (its
/// confidence) rounded up, both to PRICE_PRECISION; a feed without samples is stale.
pub fn switchboard_reading(data: &[u8]) -> Result<OracleReading> {
    validate!(data.len() >= SWITCHBOARD_FEED_LEN, ErrorCode::InvalidOracle);
    validate!(data[..8] == SWITCHBOARD_DISCRIMINATOR, ErrorCode::InvalidOracle);
    let slot = u64::from_le_bytes(data[SB_RESULT_SLOT..SB_RESULT_SLOT + 8].try_into().unwrap());
    validate!(slot > 0 && data[SB_RESULT_NUM_SAMPLES] > 0, ErrorCode::OracleStale);
    Ok(OracleReading {
        price: i128_at(data, SB_RESULT_VALUE).safe_div_floor(SB_TO_PRICE)?,
        confidence: i128_at(data, SB_RESULT_STD_DEV).abs().safe_div_ceil(SB_TO_PRICE)?,
        publish_slot: i128::from(slot),
    })
}

/// The aggregate price of a Pyth v2 price account, normalised to PRICE_PRECISION.
pub fn pyth_reading(data: &[u8]) -> Result<OracleReading> {
    validate!(data.len() >= PYTH_MIN_LEN, ErrorCode::InvalidOracle);
    validate!(
        u32_at(data, 0) == PYTH_MAGIC && u32_at(data, 4) == PYTH_VERSION,
        ErrorCode::InvalidOracle
    );
    validate!(u32_at(data, 8) == PYTH_PRICE_ACCOUNT, ErrorCode::InvalidOracle);
    let expo = i32::from_le_bytes(data[20..24].try_into().unwrap());
    let price = i128::from(i64_at(data, 208));
    let confidence = i128::from(u64::from_le_bytes(data[216..224].try_into().unwrap()));
    let status = u32_at(data, 224);
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
        read_as(data, oracle, market_oracle, OracleSource::Pyth, Pubkey::new_unique())
    }

    fn read_as(
        data: &mut [u8],
        oracle: Pubkey,
        market_oracle: Pubkey,
        source: OracleSource,
        owner: Pubkey,
    ) -> Result<OracleReading> {
        let mut lamports = 1u64;
        let info = AccountInfo::new(&oracle, false, false, &mut lamports, data, &owner, false, 0);
        let mut market: Market = Market::deserialize(&mut &[0u8; 1024][..]).unwrap();
        market.oracle = market_oracle;
        market.oracle_source = source;
        read_oracle(&info, &market)
    }

    /// A pull feed with a current result of 150 (18 decimals), std dev 0.075, sampled at `slot`.
    fn switchboard(slot: u64) -> Vec<u8> {
        let mut d = vec![0u8; SWITCHBOARD_FEED_LEN];
        d[..8].copy_from_slice(&SWITCHBOARD_DISCRIMINATOR);
        d[SB_RESULT_VALUE..SB_RESULT_VALUE + 16].copy_from_slice(&(150 * 10i128.pow(18)).to_le_bytes());
        d[SB_RESULT_STD_DEV..SB_RESULT_STD_DEV + 16].copy_from_slice(&(75 * 10i128.pow(15)).to_le_bytes());
        d[SB_RESULT_NUM_SAMPLES] = 3;
        d[SB_RESULT_SLOT..SB_RESULT_SLOT + 8].copy_from_slice(&slot.to_le_bytes());
        d
    }

    #[test]
    fn reads_a_switchboard_feed_only_from_the_switchboard_program_and_only_for_a_switchboard_market() {
        let key = Pubkey::new_unique();
        let sb = OracleSource::SwitchboardOnDemand;
        let reading = read_as(&mut switchboard(9), key, key, sb, SWITCHBOARD_ON_DEMAND_ID).unwrap();
        assert_eq!(
            reading,
            OracleReading {
                price: 150_000_000,
                confidence: 75_000,
                publish_slot: 9
            }
        );
        let refused = |r: Result<OracleReading>| r.unwrap_err();
        // Another owner (a look-alike account), or a Pyth market handed the feed.
        assert_eq!(
            refused(read_as(&mut switchboard(9), key, key, sb, Pubkey::new_unique())),
            ErrorCode::InvalidOracle.into()
        );
        assert_eq!(
            refused(read_as(
                &mut switchboard(9),
                key,
                key,
                OracleSource::Pyth,
                SWITCHBOARD_ON_DEMAND_ID
            )),
            ErrorCode::InvalidOracle.into()
        );
        // A Switchboard market handed a Pyth account.
        assert_eq!(
            refused(read_as(
                &mut pyth(1, 0, 1, PYTH_STATUS_TRADING),
                key,
                key,
                sb,
                SWITCHBOARD_ON_DEMAND_ID
            )),
            ErrorCode::InvalidOracle.into()
        );
        // Never sampled.
        assert_eq!(
            refused(read_as(&mut switchboard(0), key, key, sb, SWITCHBOARD_ON_DEMAND_ID)),
            ErrorCode::OracleStale.into()
        );
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
