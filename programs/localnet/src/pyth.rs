//! Pyth v2 price accounts as the Pyth oracle program lays them out (and @pythnetwork/client parses):
//! the localnet writes them the way publishers would.
pub const PRICE_ACCOUNT_LEN: usize = 3312;
pub const EXPONENT: i32 = -8;

/// Account bytes with an aggregate price and confidence (both scaled by 10^-8) published at a slot.
pub fn price_account_data(price: i64, confidence: u64, publish_slot: u64, timestamp: i64) -> Vec<u8> {
    let mut d = vec![0u8; PRICE_ACCOUNT_LEN];
    d[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // magic
    d[4..8].copy_from_slice(&2u32.to_le_bytes()); // version
    d[8..12].copy_from_slice(&3u32.to_le_bytes()); // account type: price
    d[12..16].copy_from_slice(&(PRICE_ACCOUNT_LEN as u32).to_le_bytes());
    d[16..20].copy_from_slice(&1u32.to_le_bytes()); // price type: price
    d[20..24].copy_from_slice(&EXPONENT.to_le_bytes());
    d[24..28].copy_from_slice(&1u32.to_le_bytes()); // component prices
    d[32..40].copy_from_slice(&publish_slot.to_le_bytes()); // last slot
    d[40..48].copy_from_slice(&publish_slot.to_le_bytes()); // valid slot
    d[48..56].copy_from_slice(&price.to_le_bytes()); // ema price value
    d[72..80].copy_from_slice(&(confidence as i64).to_le_bytes()); // ema confidence value
    d[96..104].copy_from_slice(&timestamp.to_le_bytes());
    d[104] = 1; // min publishers
    d[176..184].copy_from_slice(&publish_slot.to_le_bytes()); // previous slot
    d[184..192].copy_from_slice(&price.to_le_bytes());
    d[192..200].copy_from_slice(&confidence.to_le_bytes());
    d[200..208].copy_from_slice(&timestamp.to_le_bytes());
    d[208..216].copy_from_slice(&price.to_le_bytes()); // aggregate price
    d[216..224].copy_from_slice(&confidence.to_le_bytes()); // aggregate confidence
    d[224..228].copy_from_slice(&1u32.to_le_bytes()); // status: trading
    d[232..240].copy_from_slice(&publish_slot.to_le_bytes()); // publish slot
    d
}
