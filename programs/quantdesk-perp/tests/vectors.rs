//! Runs the shared JSON vectors (domain/perp/vectors.json, generated from the TypeScript math) against
//! the program's Rust math: both implementations must agree on every case.
use quantdesk_perp::math::{
    funding::*, liquidation::*, margin::*, oracle::check_oracle, trading::*, Account, MarketParams, Position,
    PricedPosition, *,
};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
struct Case {
    #[serde(rename = "fn")]
    function: String,
    market: Option<usize>,
    args: Vec<String>,
    expected: Vec<String>,
}

#[derive(Deserialize)]
struct VectorFile {
    markets: Vec<HashMap<String, serde_json::Value>>,
    cases: Vec<Case>,
}

fn market_params(m: &HashMap<String, serde_json::Value>) -> MarketParams {
    let f = |k: &str| -> i128 {
        m[k].as_str()
            .unwrap_or_else(|| panic!("market field {k}"))
            .parse()
            .unwrap()
    };
    MarketParams {
        initial_margin_bps: f("initialMarginBps"),
        maintenance_margin_bps: f("maintenanceMarginBps"),
        imf_bps_per_sqrt_unit: f("imfBpsPerSqrtUnit"),
        taker_fee_bps: f("takerFeeBps"),
        maker_rebate_bps: f("makerRebateBps"),
        liquidation_fee_bps: f("liquidationFeeBps"),
        max_liquidation_fraction_bps: f("maxLiquidationFractionBps"),
        liquidation_buffer_bps: f("liquidationBufferBps"),
        skew_scale_base: f("skewScaleBase"),
        funding_rate_cap: f("fundingRateCap"),
        oracle_max_stale_slots: f("oracleMaxStaleSlots"),
        oracle_max_confidence_bps: f("oracleMaxConfidenceBps"),
        oracle_max_twap_deviation_bps: f("oracleMaxTwapDeviationBps"),
    }
}

fn single_account(m: MarketParams, a: &[i128]) -> Account {
    Account {
        collateral: a[0],
        positions: vec![PricedPosition {
            position: Position {
                base: a[1],
                quote_entry: a[2],
                last_funding_index: a[3],
            },
            params: m,
            funding_index: a[4],
            price: a[5],
        }],
    }
}

fn evaluate(m: MarketParams, function: &str, a: &[i128]) -> Result<Vec<String>, MathError> {
    let s = |v: i128| v.to_string();
    Ok(match function {
        "div_floor" => vec![s(div_floor(a[0], a[1])?)],
        "div_ceil" => vec![s(div_ceil(a[0], a[1])?)],
        "isqrt" => vec![s(isqrt(a[0])?)],
        "fill_price" => vec![s(fill_price(a[0], a[1], a[2], m.skew_scale_base)?)],
        "apply_fill" => {
            let r = apply_fill(
                &Position {
                    base: a[0],
                    quote_entry: a[1],
                    last_funding_index: 0,
                },
                a[2],
                a[3],
            )?;
            vec![
                s(r.position.base),
                s(r.position.quote_entry),
                s(r.realized_pnl),
                s(r.long_open_interest_delta),
                s(r.short_open_interest_delta),
            ]
        }
        "unrealized_pnl" => vec![s(unrealized_pnl(
            &Position {
                base: a[0],
                quote_entry: a[1],
                last_funding_index: 0,
            },
            a[2],
        )?)],
        "taker_fee" => vec![s(taker_fee(&m, a[0], a[1])?)],
        "margin_ratios" => vec![
            s(initial_margin_ratio_bps(&m, a[0])?),
            s(maintenance_margin_ratio_bps(&m, a[0])?),
        ],
        "account" => {
            let acc = single_account(m, a);
            vec![
                s(equity(&acc)?),
                s(margin_requirement(&acc, MarginKind::Initial)?),
                s(margin_requirement(&acc, MarginKind::Maintenance)?),
                s(free_collateral(&acc)?),
                liquidation_price(&acc, 0)?.map(s).unwrap_or_else(|| "none".into()),
            ]
        }
        "liquidation" => {
            let acc = single_account(m, &a[0..6]);
            let step = u16::try_from(a[6]).map_err(|_| MathError::InvalidInput)?;
            let size = liquidation_size(&acc, 0, step)?;
            vec![s(size), s(liquidation_fee(&acc, 0, size)?)]
        }
        "max_order_size" => {
            let acc = single_account(m, &a[0..6]);
            vec![s(max_order_size(&acc, 0, if a[6] > 0 { 1 } else { -1 }, a[5], a[7])?)]
        }
        "funding_rate" => vec![s(funding_rate(a[0], a[1], m.funding_rate_cap)?)],
        "funding_index_delta" => vec![s(funding_index_delta(a[0], a[1])?)],
        "funding_owed" => vec![s(funding_owed(a[0], a[1], a[2])?)],
        "socialized_loss" => vec![s(socialized_loss_index_delta(a[0], a[1], a[2] > 0)?)],
        "bankruptcy" => {
            let r = resolve_bankruptcy(a[0], a[1]);
            vec![s(r.insurance_paid), s(r.socialized_loss)]
        }
        "twap" => vec![s(update_twap(a[0], a[1], a[2], a[3])?)],
        "oracle" => vec![check_oracle(&m, a[0], a[1], a[2], a[3], a[4])?.as_str().to_string()],
        "pool_payout" => {
            let (paid, left) = pool_payout(a[0], a[1]);
            vec![s(paid), s(left)]
        }
        "plan_fill" => {
            let market = FillMarket {
                long_open_interest: a[9],
                short_open_interest: a[10],
                max_open_interest: a[11],
                oracle_twap: a[8],
                paused: a[12] != 0,
            };
            let oracle = FillOracle {
                price: a[4],
                confidence: a[5],
                publish_slot: a[6],
                slot: a[7],
            };
            match plan_fill(&m, &market, &oracle, a[0], a[1], a[2], a[3] != 0)? {
                Ok(plan) => vec![
                    "ok".into(),
                    s(plan.delta),
                    s(i128::from(plan.risk_increasing)),
                    s(plan.price),
                    s(plan.fee),
                ],
                Err(refusal) => vec![refusal.as_str().to_string()],
            }
        }
        other => panic!("unknown vector function {other}"),
    })
}

#[test]
fn rust_math_matches_every_shared_vector() {
    let file: VectorFile = serde_json::from_str(include_str!("../../../domain/perp/vectors.json")).unwrap();
    let markets: Vec<MarketParams> = file.markets.iter().map(market_params).collect();
    assert!(file.cases.len() >= 300, "expected at least 300 vectors");
    let mut failures = Vec::new();
    for (i, c) in file.cases.iter().enumerate() {
        let args: Vec<i128> = c.args.iter().map(|a| a.parse().unwrap()).collect();
        let got = evaluate(markets[c.market.unwrap_or(0)], &c.function, &args);
        if got.as_ref() != Ok(&c.expected) {
            failures.push(format!(
                "#{i} {}({:?}): expected {:?}, got {:?}",
                c.function, c.args, c.expected, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors differ:\n{}",
        failures.len(),
        file.cases.len(),
        failures.join("\n")
    );
}
