//! The signed order message against its golden bytes (solana/order-message.golden.json, the same file the
//! TypeScript encoder is tested on): the program's Borsh layout and the terminal's encoder agree byte for byte.
use anchor_lang::prelude::Pubkey;
use quantdesk_perp::state::order::OrderMessage;
use serde::Deserialize;
use std::str::FromStr;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    user: String,
    market_index: u16,
    base_amount: String,
    limit_price: String,
    reduce_only: bool,
    nonce: String,
    expiry_ts: String,
    bytes: String,
}

#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn order_messages_serialize_to_the_golden_bytes_and_back() {
    let golden: Golden = serde_json::from_str(include_str!("../../../solana/order-message.golden.json")).unwrap();
    assert!(golden.cases.len() >= 4);
    for c in golden.cases {
        let order = OrderMessage {
            user: Pubkey::from_str(&c.user).unwrap(),
            market_index: c.market_index,
            base_amount: c.base_amount.parse().unwrap(),
            limit_price: c.limit_price.parse().unwrap(),
            reduce_only: c.reduce_only,
            nonce: c.nonce.parse().unwrap(),
            expiry_ts: c.expiry_ts.parse().unwrap(),
        };
        let bytes = order.to_signed_bytes();
        assert_eq!(
            hex(&bytes),
            c.bytes,
            "order for {} on market {}",
            c.user,
            c.market_index
        );
        assert_eq!(OrderMessage::from_signed_bytes(&bytes), Some(order));
    }
}
