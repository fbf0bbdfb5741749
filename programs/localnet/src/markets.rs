//! The listed markets, read from domain/perp/markets.json (the same file the TypeScript domain reads).
use quantdesk_perp::state::{MarketConfig, OracleSource};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listing {
    market_index: u16,
    symbol: String,
    /// `pyth` (the default) or `switchboard`.
    #[serde(default)]
    oracle: Option<String>,
    initial_price_e6: String,
    imf_bps_per_sqrt_unit: String,
    skew_scale_base: String,
    max_open_interest_base: String,
}

#[derive(Deserialize)]
struct MarketsFile {
    markets: Vec<Listing>,
    majors: HashMap<String, String>,
}

#[derive(Clone, Debug)]
pub struct ListedMarket {
    pub market_index: u16,
    pub symbol: String,
    /// PRICE_PRECISION (1e-6 USD).
    pub initial_price: u64,
    pub config: MarketConfig,
    pub oracle_source: OracleSource,
}

fn num<T: std::str::FromStr>(s: &str) -> T {
    s.parse()
        .unwrap_or_else(|_| panic!("markets.json: {s} is not a number"))
}

pub fn listed_markets() -> Vec<ListedMarket> {
    let file: MarketsFile =
        serde_json::from_str(include_str!("../../../domain/perp/markets.json")).expect("markets.json parses");
    let major = |k: &str| {
        file.majors
            .get(k)
            .unwrap_or_else(|| panic!("markets.json: majors.{k} missing"))
            .as_str()
    };
    file.markets
        .iter()
        .map(|m| ListedMarket {
            market_index: m.market_index,
            symbol: m.symbol.clone(),
            initial_price: num(&m.initial_price_e6),
            oracle_source: match m.oracle.as_deref() {
                None | Some("pyth") => OracleSource::Pyth,
                Some("switchboard") => OracleSource::SwitchboardOnDemand,
                Some(other) => panic!("markets.json: oracle {other} is neither pyth nor switchboard"),
            },
            config: MarketConfig {
                initial_margin_bps: num(major("initialMarginBps")),
                maintenance_margin_bps: num(major("maintenanceMarginBps")),
                imf_bps_per_sqrt_unit: num(&m.imf_bps_per_sqrt_unit),
                taker_fee_bps: num(major("takerFeeBps")),
                maker_rebate_bps: num(major("makerRebateBps")),
                liquidation_fee_bps: num(major("liquidationFeeBps")),
                max_liquidation_fraction_bps: num(major("maxLiquidationFractionBps")),
                liquidation_buffer_bps: num(major("liquidationBufferBps")),
                skew_scale_base: num(&m.skew_scale_base),
                funding_rate_cap: num(major("fundingRateCap")),
                max_open_interest_base: num(&m.max_open_interest_base),
                oracle_max_stale_slots: num(major("oracleMaxStaleSlots")),
                oracle_max_confidence_bps: num(major("oracleMaxConfidenceBps")),
                oracle_max_twap_deviation_bps: num(major("oracleMaxTwapDeviationBps")),
            },
        })
        .collect()
}
