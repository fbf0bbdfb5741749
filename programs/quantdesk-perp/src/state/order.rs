use anchor_lang::prelude::*;

/// Domain separation for signed orders: a signature over these bytes means nothing elsewhere.
pub const ORDER_MESSAGE_PREFIX: &[u8] = b"quantdesk-order-v1:";

/// The order a trader signs with their wallet (ed25519) and a keeper submits with fill_order.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderMessage {
    /// The sub-account (User PDA) the order is for.
    pub user: Pubkey,
    pub market_index: u16,
    /// Signed base size (BASE_PRECISION): > 0 buys, < 0 sells.
    pub base_amount: i64,
    /// Worst acceptable fill price (PRICE_PRECISION): a buy's maximum, a sell's minimum.
    pub limit_price: u64,
    pub reduce_only: bool,
    /// Must exceed the user's last filled nonce: replays fail.
    pub nonce: u64,
    pub expiry_ts: i64,
}

impl OrderMessage {
    pub fn to_signed_bytes(&self) -> Vec<u8> {
        let mut bytes = ORDER_MESSAGE_PREFIX.to_vec();
        bytes.extend_from_slice(&self.try_to_vec().expect("order serializes"));
        bytes
    }

    pub fn from_signed_bytes(bytes: &[u8]) -> Option<Self> {
        let body = bytes.strip_prefix(ORDER_MESSAGE_PREFIX)?;
        Self::try_from_slice(body).ok()
    }
}
