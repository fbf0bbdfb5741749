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

/// What fill_order and liquidate did, returned to the caller as the transaction's return data, so a
/// keeper records exactly what the program executed instead of recomputing it.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeReport {
    pub market_index: u16,
    /// Signed base filled (BASE_PRECISION): > 0 bought, < 0 sold.
    pub base_delta: i64,
    /// Execution price (PRICE_PRECISION): the skew-adjusted fill price, or the oracle price in a liquidation.
    pub price: u64,
    /// Taker fee or liquidation fee charged to the sub-account (QUOTE_PRECISION); it went to the insurance fund.
    pub fee: u64,
    /// PnL realized by the reducing part of the fill (QUOTE_PRECISION).
    pub realized_pnl: i64,
    /// Funding settled into collateral before the fill (QUOTE_PRECISION, > 0 paid by the account).
    pub funding_paid: i64,
    pub base_after: i64,
    pub quote_entry_after: i64,
    pub collateral_after: i64,
}

/// What one liquidate call did: the step (a zero `base_delta` when it only closed an episode that the
/// market had already ended) and where the account's episode stands afterwards.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidationReport {
    pub trade: TradeReport,
    /// The episode this step belongs to (User::liquidation_seq).
    pub liquidation_seq: u64,
    /// Whether the episode is still open: the account is below maintenance with a position left.
    pub being_liquidated: bool,
    /// Steps executed in the episode so far: the index the next step must name.
    pub episode_steps: u16,
}

/// What resolve_bankruptcy did: the deficit, paid by the insurance fund first and socialized for the rest.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BankruptcyReport {
    pub deficit: u64,
    pub insurance_paid: u64,
    pub socialized_loss: u64,
}
