//! Switchboard on-demand pull feeds against their golden bytes (solana/switchboard.golden.json, the same file
//! the TypeScript reader and the localnet's writer are tested on): the program reads them as the reader does.
use quantdesk_perp::controller::oracle::{switchboard_reading, OracleReading};
use quantdesk_perp::errors::ErrorCode;
use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    price: String,
    confidence: String,
    #[serde(rename = "publishSlot")]
    publish_slot: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Outcome {
    Reading(Expected),
    Refused(String),
}

#[derive(Deserialize)]
struct Case {
    name: String,
    expected: Outcome,
    hex: String,
}

#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn pull_feeds_read_as_the_golden_vectors_say() {
    let golden: Golden = serde_json::from_str(include_str!("../../../solana/switchboard.golden.json")).unwrap();
    assert!(golden.cases.len() >= 4);
    for c in golden.cases {
        let read = switchboard_reading(&bytes(&c.hex));
        match c.expected {
            Outcome::Reading(e) => assert_eq!(
                read.unwrap(),
                OracleReading {
                    price: e.price.parse().unwrap(),
                    confidence: e.confidence.parse().unwrap(),
                    publish_slot: e.publish_slot.parse().unwrap(),
                },
                "{}",
                c.name
            ),
            Outcome::Refused(what) => {
                assert_eq!(what, "stale", "{}", c.name);
                assert_eq!(read.unwrap_err(), ErrorCode::OracleStale.into(), "{}", c.name);
            }
        }
    }
}

#[test]
fn another_accounts_bytes_are_refused() {
    let golden: Golden = serde_json::from_str(include_str!("../../../solana/switchboard.golden.json")).unwrap();
    let mut data = bytes(&golden.cases[0].hex);
    assert_eq!(
        switchboard_reading(&data[..3000]).unwrap_err(),
        ErrorCode::InvalidOracle.into()
    );
    data[0] ^= 1;
    assert_eq!(switchboard_reading(&data).unwrap_err(), ErrorCode::InvalidOracle.into());
}
