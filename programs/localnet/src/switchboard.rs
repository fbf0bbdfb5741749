//! Switchboard on-demand pull feed accounts as the on-demand program lays them out (`PullFeedAccountData` of
//! the switchboard-on-demand crate after Anchor's discriminator): the localnet writes a current result the way
//! oracles' submissions would leave it. Checked against solana/switchboard.golden.json.
use quantdesk_perp::controller::oracle::{SWITCHBOARD_DISCRIMINATOR, SWITCHBOARD_FEED_LEN};

const LAST_UPDATE_TIMESTAMP: usize = 8 + 2208;
const RESULT: usize = 8 + 2256;
const RESULT_NUM_SAMPLES: usize = 8 + 2352;
const RESULT_SLOT: usize = 8 + 2360;
const MAX_STALENESS: usize = 8 + 2384;
/// PRICE_PRECISION (1e-6) to the feed's 18 decimals.
pub const FROM_PRICE: i128 = 1_000_000_000_000;

/// A feed whose current result is `value` with `std_dev` (18 decimals), from `num_samples` samples at `slot`.
pub fn feed_account_data(value: i128, std_dev: i128, slot: u64, num_samples: u8, timestamp: i64) -> Vec<u8> {
    let mut d = vec![0u8; SWITCHBOARD_FEED_LEN];
    d[..8].copy_from_slice(&SWITCHBOARD_DISCRIMINATOR);
    d[LAST_UPDATE_TIMESTAMP..LAST_UPDATE_TIMESTAMP + 8].copy_from_slice(&timestamp.to_le_bytes());
    // value, std_dev, mean, range, min, max: i128 each.
    for (i, v) in [value, std_dev, value, 0, value, value].into_iter().enumerate() {
        d[RESULT + 16 * i..RESULT + 16 * (i + 1)].copy_from_slice(&v.to_le_bytes());
    }
    d[RESULT_NUM_SAMPLES] = num_samples;
    // slot, min slot, max slot.
    for i in 0..3 {
        d[RESULT_SLOT + 8 * i..RESULT_SLOT + 8 * (i + 1)].copy_from_slice(&slot.to_le_bytes());
    }
    d[MAX_STALENESS..MAX_STALENESS + 4].copy_from_slice(&100u32.to_le_bytes());
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Case {
        value: String,
        std_dev: String,
        slot: String,
        num_samples: u8,
        timestamp: String,
        hex: String,
    }

    #[derive(Deserialize)]
    struct Golden {
        cases: Vec<Case>,
    }

    #[test]
    fn writes_the_golden_bytes() {
        let golden: Golden = serde_json::from_str(include_str!("../../../solana/switchboard.golden.json")).unwrap();
        for c in golden.cases {
            let data = feed_account_data(
                c.value.parse().unwrap(),
                c.std_dev.parse().unwrap(),
                c.slot.parse().unwrap(),
                c.num_samples,
                c.timestamp.parse().unwrap(),
            );
            let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, c.hex);
        }
    }
}
