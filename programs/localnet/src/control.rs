//! Development controls (never part of a real cluster): provider faults, Pyth prices, time, faucets.
use crate::bootstrap::{mint_usdc, source_name, write_price, Dev};
use crate::faults::{FaultConfig, PortState};
use crate::rpc::SharedChain;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use quantdesk_perp::state::OracleSource;
use serde::Deserialize;
use serde_json::{json, Value};
use solana_sdk::{pubkey::Pubkey, signature::Signer};
use std::{collections::BTreeMap, str::FromStr, sync::Arc};

#[derive(Clone)]
pub struct ControlState {
    pub chain: SharedChain,
    pub dev: Arc<Dev>,
    pub ports: Arc<BTreeMap<u16, Arc<PortState>>>,
}

pub fn router(state: ControlState) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/bootstrap", get(bootstrap))
        .route("/faults", get(faults).post(set_fault))
        // The market's oracle, of its kind (`/pyth` is the older name of the same control).
        .route("/oracle", post(set_oracle))
        .route("/pyth", post(set_oracle))
        .route("/advance", post(advance))
        .route("/airdrop", post(airdrop))
        .route("/mint-usdc", post(mint))
        .route("/status", get(status))
        .route("/seed-traders", post(seed_traders))
        .route("/written", get(written))
        .with_state(state)
}

fn bad(message: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message.into()}))).into_response()
}

fn pubkey(v: &str) -> Result<Pubkey, String> {
    Pubkey::from_str(v).map_err(|_| format!("invalid public key {v}"))
}

async fn bootstrap(State(s): State<ControlState>) -> Json<Value> {
    Json(serde_json::to_value(&s.dev.bootstrap).unwrap())
}

async fn faults(State(s): State<ControlState>) -> Json<Value> {
    Json(json!(s.ports.iter().map(|(port, p)| (port.to_string(), json!({"config": p.config(), "requests": p.requests.load(std::sync::atomic::Ordering::Relaxed), "sends": p.sends.load(std::sync::atomic::Ordering::Relaxed)}))).collect::<serde_json::Map<_, _>>()))
}

#[derive(Deserialize)]
struct SetFault {
    port: u16,
    #[serde(flatten)]
    config: FaultConfig,
}

async fn set_fault(State(s): State<ControlState>, Json(body): Json<SetFault>) -> Response {
    let Some(port) = s.ports.get(&body.port) else {
        return bad(format!("no RPC port {}", body.port));
    };
    port.set(body.config);
    Json(json!({"port": body.port, "config": port.config()})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetOracle {
    market_index: Option<u16>,
    /// Any account to write instead of a listed market's oracle (e.g. for a market a test lists).
    oracle: Option<String>,
    /// With `oracle`: `pyth` (the default) or `switchboard`; a listed market's oracle is written as its kind.
    kind: Option<String>,
    /// PRICE_PRECISION (1e-6 USD), as a decimal string.
    price: String,
    confidence: Option<String>,
    /// Publish this many slots in the past (a stale feed).
    #[serde(default)]
    age_slots: u64,
}

async fn set_oracle(State(s): State<ControlState>, Json(body): Json<SetOracle>) -> Response {
    let (oracle, source) = match (&body.oracle, body.market_index) {
        (Some(key), _) => match (pubkey(key), body.kind.as_deref()) {
            (Ok(k), None | Some("pyth")) => (k, OracleSource::Pyth),
            (Ok(k), Some("switchboard")) => (k, OracleSource::SwitchboardOnDemand),
            (Ok(_), Some(other)) => return bad(format!("kind {other} is neither pyth nor switchboard")),
            (Err(e), _) => return bad(e),
        },
        (None, Some(index)) => match s.dev.oracles.iter().find(|(i, _, _)| *i == index) {
            Some((_, oracle, source)) => (*oracle, *source),
            None => return bad(format!("no market {index}")),
        },
        (None, None) => return bad("give marketIndex or oracle"),
    };
    let Ok(price) = body.price.parse::<u64>() else {
        return bad("price must be a positive integer string (1e-6 USD)");
    };
    let confidence = match body.confidence.as_deref().map(str::parse::<u64>) {
        None => price / 2_000,
        Some(Ok(c)) => c,
        Some(Err(_)) => return bad("confidence must be an integer string"),
    };
    let mut chain = s.chain.lock().await;
    write_price(&mut chain, oracle, source, price, confidence, body.age_slots).await;
    let slot = chain.slot().await;
    Json(json!({
        "marketIndex": body.market_index,
        "oracle": oracle.to_string(),
        "kind": source_name(source),
        "price": price.to_string(),
        "slot": slot
    }))
    .into_response()
}

#[derive(Deserialize)]
struct Advance {
    #[serde(default)]
    slots: u64,
    #[serde(default)]
    secs: i64,
}

async fn advance(State(s): State<ControlState>, Json(body): Json<Advance>) -> Response {
    let mut chain = s.chain.lock().await;
    if let Err(e) = chain.advance(body.slots, body.secs).await {
        return bad(e);
    }
    let clock = chain.clock().await;
    Json(json!({"slot": clock.slot, "unixTimestamp": clock.unix_timestamp})).into_response()
}

#[derive(Deserialize)]
struct Airdrop {
    to: String,
    lamports: u64,
}

async fn airdrop(State(s): State<ControlState>, Json(body): Json<Airdrop>) -> Response {
    let to = match pubkey(&body.to) {
        Ok(k) => k,
        Err(e) => return bad(e),
    };
    match s.chain.lock().await.airdrop(&to, body.lamports).await {
        Ok(sig) => Json(json!({"signature": sig.to_string()})).into_response(),
        Err(e) => bad(format!("{e:?}")),
    }
}

#[derive(Deserialize)]
struct MintUsdc {
    owner: String,
    /// USDC base units (1e-6).
    amount: u64,
}

async fn mint(State(s): State<ControlState>, Json(body): Json<MintUsdc>) -> Response {
    let owner = match pubkey(&body.owner) {
        Ok(k) => k,
        Err(e) => return bad(e),
    };
    let mut chain = s.chain.lock().await;
    match mint_usdc(&mut chain, &s.dev, &owner, body.amount).await {
        Ok(ata) => {
            Json(json!({"tokenAccount": ata.to_string(), "mint": s.dev.mint.pubkey().to_string()})).into_response()
        }
        Err(e) => bad(format!("{e:?}")),
    }
}

async fn status(State(s): State<ControlState>) -> Json<Value> {
    let chain = s.chain.lock().await;
    let clock = chain.clock().await;
    Json(
        json!({"slot": clock.slot, "unixTimestamp": clock.unix_timestamp, "transactions": chain.txs.len(), "accounts": chain.known.len()}),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedTraders {
    market_index: u16,
    count: usize,
    /// Decimal strings: USDC base units, BASE_PRECISION (signed), PRICE_PRECISION.
    collateral: String,
    base_amount: String,
    limit_price: String,
    oracle_price: String,
}

/// Benchmarks: `count` new traders, each with `collateral` deposited and a `baseAmount` position.
async fn seed_traders(State(s): State<ControlState>, Json(body): Json<SeedTraders>) -> Response {
    let parsed = (
        body.collateral.parse::<u64>(),
        body.base_amount.parse::<i64>(),
        body.limit_price.parse::<u64>(),
        body.oracle_price.parse::<u64>(),
    );
    let (Ok(collateral), Ok(base_amount), Ok(limit_price), Ok(oracle_price)) = parsed else {
        return bad("collateral, baseAmount, limitPrice and oraclePrice must be integer strings");
    };
    if body.count == 0 || body.count > 100_000 || base_amount == 0 {
        return bad("count must be 1..=100000 and baseAmount non-zero");
    }
    let spec = crate::seed::SeedSpec {
        market_index: body.market_index,
        count: body.count,
        collateral,
        base_amount,
        limit_price,
        oracle_price,
    };
    let mut chain = s.chain.lock().await;
    match crate::seed::seed_traders(&mut chain, &s.dev, &spec).await {
        Ok(seeded) => Json(json!({"traders": seeded.iter().map(|t| json!({"wallet": t.wallet.to_string(), "user": t.user.to_string()})).collect::<Vec<_>>()})).into_response(),
        Err(e) => bad(format!("{e:?}")),
    }
}

#[derive(Deserialize)]
struct WrittenSince {
    #[serde(default)]
    since: u64,
}

/// The accounts writable in the transactions executed since write number `since` (0: all it remembers),
/// and `next`, the number to ask from next time; `truncated` when the chain no longer remembers that far
/// back (then read everything once). A benchmark's observer reads only these instead of polling.
async fn written(State(s): State<ControlState>, Query(q): Query<WrittenSince>) -> Json<Value> {
    let chain = s.chain.lock().await;
    let (accounts, next, truncated) = match chain.written_since(q.since) {
        Ok((accounts, next)) => (accounts, next, false),
        Err(next) => (vec![], next, true),
    };
    Json(json!({
        "accounts": accounts.iter().map(Pubkey::to_string).collect::<Vec<_>>(),
        "next": next.to_string(),
        "truncated": truncated
    }))
}
