use anchor_lang::prelude::*;

use crate::errors::ErrorCode;
use crate::math::Position;

pub const USER_SEED: &[u8] = b"user";
pub const MAX_POSITIONS: usize = 8;
pub const EMPTY_MARKET: u16 = u16::MAX;
/// Order nonces a sub-account remembers: the highest ones used (filled or cancelled by the wallet).
pub const ORDER_NONCE_WINDOW: usize = 64;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct PerpPosition {
    pub market_index: u16,
    pub base: i64,
    pub quote_entry: i64,
    pub last_funding_index: i128,
}

impl Default for PerpPosition {
    fn default() -> Self {
        Self {
            market_index: EMPTY_MARKET,
            base: 0,
            quote_entry: 0,
            last_funding_index: 0,
        }
    }
}

impl PerpPosition {
    pub fn is_open(&self) -> bool {
        self.market_index != EMPTY_MARKET
    }
    pub fn math(&self) -> Position {
        Position {
            base: self.base.into(),
            quote_entry: self.quote_entry.into(),
            last_funding_index: self.last_funding_index,
        }
    }
}

/// A trader's sub-account: cross-margined collateral and positions, walled off from its siblings.
#[account]
#[derive(InitSpace)]
pub struct User {
    pub authority: Pubkey,
    pub sub_account_id: u16,
    /// USDC (1e6); negative only while bankrupt.
    pub collateral: i64,
    /// Highest order nonce used (filled or cancelled).
    pub last_order_nonce: u64,
    pub positions: [PerpPosition; MAX_POSITIONS],
    pub bump: u8,
    /// Liquidation episodes started on this account: the keeper's dedupe key (`liq:<account>:<market>:<seq>`).
    pub liquidation_seq: u64,
    /// An episode is open: set by its first step, cleared once a step leaves the account healthy or flat.
    pub being_liquidated: bool,
    /// Partial liquidation steps executed on this account, over all episodes.
    pub liquidation_steps: u64,
    /// Steps executed in the current (or last) episode: the next step must name this index, so each step
    /// is a distinct transaction and a step already executed is refused.
    pub episode_steps: u16,
    /// The ORDER_NONCE_WINDOW highest nonces used (0: a free slot). A signed order fills once, in any
    /// order among those the window holds: its nonce must not be here and must exceed the smallest kept
    /// (Hyperliquid's rule), so a resting order survives later market orders.
    pub order_nonces: [u64; ORDER_NONCE_WINDOW],
    /// Realized PnL and funding the PnL pool owes this account but could not pay yet (USDC): paid into
    /// collateral as the pool refills, at the account's next settlement; not collateral until then.
    pub unsettled_pnl: u64,
}

impl User {
    pub fn position_index(&self, market_index: u16) -> Option<usize> {
        self.positions.iter().position(|p| p.market_index == market_index)
    }
    /// The episode a liquidation started now belongs to: the open one, or the next.
    pub fn current_liquidation_seq(&self) -> u64 {
        if self.being_liquidated {
            self.liquidation_seq
        } else {
            self.liquidation_seq + 1
        }
    }
    /// The index the next step of the current liquidation episode must name.
    pub fn next_liquidation_step(&self) -> u16 {
        if self.being_liquidated {
            self.episode_steps
        } else {
            0
        }
    }
    /// Marks `nonce` used: refused if it was used already or is not above the smallest nonce the full
    /// window keeps (it may have been used and forgotten).
    pub fn use_order_nonce(&mut self, nonce: u64) -> Result<()> {
        validate!(
            nonce != 0 && !self.order_nonces.contains(&nonce),
            ErrorCode::OrderNonceReused
        );
        let (slot, smallest) = self
            .order_nonces
            .iter()
            .copied()
            .enumerate()
            .min_by_key(|&(_, n)| n)
            .unwrap_or((0, 0));
        validate!(nonce > smallest, ErrorCode::OrderNonceReused);
        self.order_nonces[slot] = nonce;
        self.last_order_nonce = self.last_order_nonce.max(nonce);
        Ok(())
    }
    /// Whether an order signed with `nonce` could still fill.
    pub fn order_nonce_usable(&self, nonce: u64) -> bool {
        let smallest = self.order_nonces.iter().copied().min().unwrap_or(0);
        nonce != 0 && nonce > smallest && !self.order_nonces.contains(&nonce)
    }
    pub fn open_positions(&self) -> impl Iterator<Item = &PerpPosition> {
        self.positions.iter().filter(|p| p.is_open())
    }
}
