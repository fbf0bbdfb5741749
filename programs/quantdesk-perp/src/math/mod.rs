//! Pure perp math, mirrored line for line by domain/perp/*.ts and checked against the same JSON
//! vectors (domain/perp/vectors.json). Integer fixed point over i128; every division names its rounding,
//! always against the user.
pub mod fixed_point;
pub mod funding;
pub mod liquidation;
pub mod margin;
pub mod oracle;
pub mod trading;

pub use fixed_point::*;

/// Per-market parameters as the math reads them (the Market account stores them narrower).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketParams {
    pub initial_margin_bps: i128,
    pub maintenance_margin_bps: i128,
    pub imf_bps_per_sqrt_unit: i128,
    pub taker_fee_bps: i128,
    pub maker_rebate_bps: i128,
    pub liquidation_fee_bps: i128,
    pub max_liquidation_fraction_bps: i128,
    pub liquidation_buffer_bps: i128,
    pub skew_scale_base: i128,
    pub funding_rate_cap: i128,
    pub oracle_max_stale_slots: i128,
    pub oracle_max_confidence_bps: i128,
    pub oracle_max_twap_deviation_bps: i128,
}

/// A perp position: signed base, signed cost basis in quote, funding index last settled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub base: i128,
    pub quote_entry: i128,
    pub last_funding_index: i128,
}

/// One position with what margin math needs: its market, a price and the current funding index.
#[derive(Clone, Copy, Debug)]
pub struct PricedPosition {
    pub position: Position,
    pub params: MarketParams,
    pub price: i128,
    pub funding_index: i128,
}

#[derive(Clone, Debug)]
pub struct Account {
    pub collateral: i128,
    pub positions: Vec<PricedPosition>,
}
