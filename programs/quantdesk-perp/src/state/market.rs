use anchor_lang::prelude::*;

use crate::math::MarketParams;

pub const MARKET_SEED: &[u8] = b"market";
pub const FUNDING_PERIOD_SECS: i64 = 3_600;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct MarketConfig {
    pub initial_margin_bps: u32,
    pub maintenance_margin_bps: u32,
    pub imf_bps_per_sqrt_unit: u32,
    pub taker_fee_bps: u32,
    pub maker_rebate_bps: u32,
    pub liquidation_fee_bps: u32,
    pub max_liquidation_fraction_bps: u32,
    pub liquidation_buffer_bps: u32,
    pub skew_scale_base: u64,
    pub funding_rate_cap: u64,
    pub max_open_interest_base: u64,
    pub oracle_max_stale_slots: u64,
    pub oracle_max_confidence_bps: u32,
    pub oracle_max_twap_deviation_bps: u32,
}

impl MarketConfig {
    pub fn is_valid(&self) -> bool {
        self.maintenance_margin_bps > 0
            && self.initial_margin_bps >= self.maintenance_margin_bps
            && self.initial_margin_bps <= 10_000
            && self.max_liquidation_fraction_bps > 0
            && self.max_liquidation_fraction_bps <= 10_000
            && self.skew_scale_base > 0
            && self.taker_fee_bps <= 1_000
            && self.maker_rebate_bps <= self.taker_fee_bps
    }

    pub fn math(&self) -> MarketParams {
        MarketParams {
            initial_margin_bps: self.initial_margin_bps.into(),
            maintenance_margin_bps: self.maintenance_margin_bps.into(),
            imf_bps_per_sqrt_unit: self.imf_bps_per_sqrt_unit.into(),
            taker_fee_bps: self.taker_fee_bps.into(),
            maker_rebate_bps: self.maker_rebate_bps.into(),
            liquidation_fee_bps: self.liquidation_fee_bps.into(),
            max_liquidation_fraction_bps: self.max_liquidation_fraction_bps.into(),
            liquidation_buffer_bps: self.liquidation_buffer_bps.into(),
            skew_scale_base: self.skew_scale_base.into(),
            funding_rate_cap: self.funding_rate_cap.into(),
            oracle_max_stale_slots: self.oracle_max_stale_slots.into(),
            oracle_max_confidence_bps: self.oracle_max_confidence_bps.into(),
            oracle_max_twap_deviation_bps: self.oracle_max_twap_deviation_bps.into(),
        }
    }
}

/// The oracle program a market's `oracle` account belongs to (issue 14): a Pyth v2 price account, or a
/// Switchboard on-demand pull feed. Set at listing as Pyth; the admin may move a market to another oracle.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub enum OracleSource {
    #[default]
    Pyth,
    SwitchboardOnDemand,
}

#[account]
#[derive(InitSpace)]
pub struct Market {
    pub market_index: u16,
    pub oracle: Pubkey,
    pub config: MarketConfig,
    pub long_open_interest: u64,
    pub short_open_interest: u64,
    /// Quote (1e6) per whole base unit paid by longs, scaled by FUNDING_INDEX_PRECISION: funding, plus
    /// the losses socialized over the longs.
    pub cumulative_funding_index_long: i128,
    /// The same index for shorts (a short pays when it falls): funding moves both alike, a loss socialized
    /// over the shorts only this one. Drift keeps cumulative_funding_rate_long/short the same way.
    pub cumulative_funding_index_short: i128,
    pub last_funding_rate: i64,
    pub last_funding_ts: i64,
    /// The index change the last funding crank applied (to both sides): a keeper books each position's
    /// payment from it, whoever cranked.
    pub last_funding_delta: i128,
    pub mark_twap: u64,
    pub oracle_twap: u64,
    pub twap_ts: i64,
    pub paused: bool,
    pub bump: u8,
    /// What `oracle` is (read by controller::oracle::read_oracle).
    pub oracle_source: OracleSource,
}

impl Market {
    /// The funding index a position of `base` settles against (its side's).
    pub fn funding_index_for(&self, base: i128) -> i128 {
        if base < 0 {
            self.cumulative_funding_index_short
        } else {
            self.cumulative_funding_index_long
        }
    }

    pub fn skew(&self) -> i128 {
        i128::from(self.long_open_interest) - i128::from(self.short_open_interest)
    }
}
