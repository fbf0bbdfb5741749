//! Solana JSON-RPC (the methods web3.js, Anchor and spl-token use) over HTTP, and signature
//! subscriptions over WebSocket on port + 1, as web3.js expects.
use crate::chain::{AccountFilter, Chain, SendError, TxRecord, BLOCKHASH_VALID_BLOCKS};
use crate::faults::PortState;
use axum::{
    body::{Body, Bytes},
    extract::{
        ws::{Message, WebSocket, WebSocketUpgrade},
        State,
    },
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde_json::{json, Value};
use solana_sdk::{
    account::Account, hash::Hash, message::VersionedMessage, pubkey::Pubkey, signature::Signature,
    transaction::VersionedTransaction,
};
use std::{str::FromStr, sync::Arc, time::Duration};
use tokio::sync::Mutex;

pub type SharedChain = Arc<Mutex<Chain>>;

#[derive(Clone)]
pub struct RpcState {
    pub chain: SharedChain,
    pub port: Arc<PortState>,
}

pub struct RpcError {
    code: i64,
    message: String,
    data: Option<Value>,
}

fn invalid(message: impl Into<String>) -> RpcError {
    RpcError {
        code: -32602,
        message: message.into(),
        data: None,
    }
}

type RpcResult = Result<Value, RpcError>;

pub fn http_router(state: RpcState) -> Router {
    Router::new()
        .route("/", post(handle_http))
        .route("/health", get(|| async { "ok" }))
        .with_state(state)
}

pub fn ws_router(state: RpcState) -> Router {
    Router::new().route("/", get(handle_ws)).with_state(state)
}

/// A response whose body fails after the headers: the client sees the connection die mid-answer.
fn aborted() -> Response {
    let failing =
        futures::stream::once(async { Err::<Bytes, std::io::Error>(std::io::Error::other("provider killed")) });
    Response::new(Body::from_stream(failing))
}

async fn handle_http(State(s): State<RpcState>, body: Bytes) -> Response {
    s.port.count_request();
    if s.port.is_down() {
        return aborted();
    }
    // A node that has received a request finishes it even if the client goes away (a transaction on its
    // way to the leader lands whether or not anyone hears the answer), so the work runs in its own task.
    let work = tokio::spawn(async move {
        let latency = s.port.config().latency_ms;
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        if s.port.should_fail() {
            return Err((StatusCode::SERVICE_UNAVAILABLE, "injected provider error"));
        }
        let Ok(request) = serde_json::from_slice::<Value>(&body) else {
            return Ok((
                json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error"}}),
                false,
            ));
        };
        let mut abort = false;
        let is_send = |call: &Value| call.get("method").and_then(Value::as_str) == Some("sendTransaction");
        let sends = match &request {
            Value::Array(calls) => calls.iter().any(is_send),
            call => is_send(call),
        };
        let answer = match request {
            Value::Array(calls) => {
                let mut out = Vec::new();
                for call in calls {
                    out.push(answer_call(&s, call, &mut abort).await);
                }
                Value::Array(out)
            }
            call => answer_call(&s, call, &mut abort).await,
        };
        let config = s.port.config();
        let after = config.latency_after_ms + if sends { config.send_latency_after_ms } else { 0 };
        if after > 0 {
            tokio::time::sleep(Duration::from_millis(after)).await;
        }
        Ok((answer, abort))
    });
    match work.await {
        Ok(Ok((_, true))) => aborted(),
        Ok(Ok((answer, false))) => axum::Json(answer).into_response(),
        Ok(Err(injected)) => injected.into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "request handler failed").into_response(),
    }
}

async fn answer_call(s: &RpcState, call: Value, abort: &mut bool) -> Value {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let method = call
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let params = call.get("params").cloned().unwrap_or(Value::Array(vec![]));
    let result = dispatch(s, &method, &params, abort).await;
    match result {
        Ok(value) => json!({"jsonrpc": "2.0", "id": id, "result": value}),
        Err(e) => {
            let mut error = json!({"code": e.code, "message": e.message});
            if let Some(data) = e.data {
                error["data"] = data;
            }
            json!({"jsonrpc": "2.0", "id": id, "error": error})
        }
    }
}

fn param(params: &Value, i: usize) -> Option<&Value> {
    params.as_array().and_then(|a| a.get(i))
}
fn pubkey_param(params: &Value, i: usize) -> Result<Pubkey, RpcError> {
    let s = param(params, i)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("expected a base58 public key"))?;
    Pubkey::from_str(s).map_err(|_| invalid(format!("invalid public key {s}")))
}
fn config(params: &Value, i: usize) -> Value {
    param(params, i).cloned().unwrap_or(Value::Null)
}
fn encoding(cfg: &Value) -> &str {
    cfg.get("encoding").and_then(Value::as_str).unwrap_or("base64")
}

fn account_json(account: &Account, enc: &str) -> Value {
    let data = if enc == "base58" {
        json!([bs58::encode(&account.data).into_string(), "base58"])
    } else {
        json!([B64.encode(&account.data), "base64"])
    };
    json!({
        "data": data,
        "executable": account.executable,
        "lamports": account.lamports,
        "owner": account.owner.to_string(),
        "rentEpoch": account.rent_epoch,
        "space": account.data.len(),
    })
}

fn tx_error_json(err: &Option<solana_sdk::transaction::TransactionError>) -> Value {
    err.as_ref()
        .map(|e| serde_json::to_value(e).unwrap_or(json!(e.to_string())))
        .unwrap_or(Value::Null)
}

fn status_json(r: &TxRecord) -> Value {
    let err = tx_error_json(&r.err);
    let status = if r.err.is_some() {
        json!({"Err": err})
    } else {
        json!({"Ok": null})
    };
    json!({"slot": r.slot, "confirmations": null, "err": err, "status": status, "confirmationStatus": "finalized"})
}

fn send_error(e: SendError) -> RpcError {
    match e {
        SendError::Rejected { err, logs } => RpcError {
            code: -32002,
            message: format!("Transaction simulation failed: {err}"),
            data: Some(
                json!({"err": serde_json::to_value(&err).unwrap_or(Value::Null), "logs": logs, "accounts": null, "unitsConsumed": 0}),
            ),
        },
        SendError::Malformed(m) => invalid(format!("failed to deserialize transaction: {m}")),
        SendError::Bank(m) => RpcError {
            code: -32603,
            message: m,
            data: None,
        },
    }
}

fn decode_tx(params: &Value) -> Result<(Vec<u8>, VersionedTransaction), RpcError> {
    let text = param(params, 0)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("expected an encoded transaction"))?;
    let wire = if encoding(&config(params, 1)) == "base58" {
        bs58::decode(text).into_vec().map_err(|_| invalid("invalid base58"))?
    } else {
        B64.decode(text).map_err(|_| invalid("invalid base64"))?
    };
    let tx = bincode::deserialize(&wire).map_err(|e| invalid(format!("failed to deserialize transaction: {e}")))?;
    Ok((wire, tx))
}

fn message_json(message: &VersionedMessage) -> Value {
    let header = message.header();
    let instructions: Vec<Value> = message
        .instructions()
        .iter()
        .map(|ix| json!({"programIdIndex": ix.program_id_index, "accounts": ix.accounts, "data": bs58::encode(&ix.data).into_string(), "stackHeight": null}))
        .collect();
    let mut out = json!({
        "accountKeys": message.static_account_keys().iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        "header": {"numRequiredSignatures": header.num_required_signatures, "numReadonlySignedAccounts": header.num_readonly_signed_accounts, "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts},
        "instructions": instructions,
        "recentBlockhash": message.recent_blockhash().to_string(),
    });
    if let VersionedMessage::V0(_) = message {
        out["addressTableLookups"] = json!([]);
    }
    out
}

async fn dispatch(s: &RpcState, method: &str, params: &Value, abort: &mut bool) -> RpcResult {
    let stale = s.port.config().stale_slots;
    let mut chain = s.chain.lock().await;
    let slot = chain.slot().await.saturating_sub(stale);
    let ctx = json!({"slot": slot, "apiVersion": "2.3.13"});
    match method {
        "getHealth" => Ok(json!("ok")),
        "getVersion" => Ok(json!({"solana-core": "2.3.13", "feature-set": 0})),
        "getSlot" => Ok(json!(slot)),
        "getBlockHeight" => Ok(json!(chain.block_height().await.saturating_sub(stale))),
        "getGenesisHash" => Ok(json!(Pubkey::default().to_string())),
        "getFirstAvailableBlock" | "minimumLedgerSlot" => Ok(json!(0)),
        "getBlockTime" => Ok(json!(chain.clock().await.unix_timestamp)),
        "getEpochInfo" => Ok(
            json!({"absoluteSlot": slot, "blockHeight": chain.block_height().await, "epoch": chain.clock().await.epoch, "slotIndex": slot, "slotsInEpoch": 432000, "transactionCount": chain.txs.len()}),
        ),
        "getLatestBlockhash" => {
            let hash = chain.latest_blockhash().await;
            Ok(
                json!({"context": ctx, "value": {"blockhash": hash.to_string(), "lastValidBlockHeight": chain.block_height().await + BLOCKHASH_VALID_BLOCKS}}),
            )
        }
        "isBlockhashValid" => {
            let hash = param(params, 0)
                .and_then(Value::as_str)
                .and_then(|h| Hash::from_str(h).ok())
                .ok_or_else(|| invalid("expected a base58 blockhash"))?;
            Ok(json!({"context": ctx, "value": chain.is_blockhash_valid(&hash).await}))
        }
        "getFeeForMessage" => Ok(json!({"context": ctx, "value": 5000})),
        "getRecentPrioritizationFees" => Ok(json!([])),
        "getMinimumBalanceForRentExemption" => {
            let len = param(params, 0)
                .and_then(Value::as_u64)
                .ok_or_else(|| invalid("expected a data length"))?;
            Ok(json!(chain.rent_exempt_minimum(len as usize).await))
        }
        "getBalance" => {
            let key = pubkey_param(params, 0)?;
            Ok(json!({"context": ctx, "value": chain.account(&key).await.map(|a| a.lamports).unwrap_or(0)}))
        }
        "getAccountInfo" => {
            let key = pubkey_param(params, 0)?;
            let cfg = config(params, 1);
            Ok(json!({"context": ctx, "value": chain.account(&key).await.map(|a| account_json(&a, encoding(&cfg)))}))
        }
        "getMultipleAccounts" => {
            let keys = param(params, 0)
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("expected an array of keys"))?;
            let cfg = config(params, 1);
            let mut values = Vec::new();
            for k in keys {
                let key =
                    Pubkey::from_str(k.as_str().unwrap_or_default()).map_err(|_| invalid("invalid public key"))?;
                values.push(
                    chain
                        .account(&key)
                        .await
                        .map(|a| account_json(&a, encoding(&cfg)))
                        .unwrap_or(Value::Null),
                );
            }
            Ok(json!({"context": ctx, "value": values}))
        }
        "getTokenAccountBalance" => {
            let key = pubkey_param(params, 0)?;
            let account = chain
                .account(&key)
                .await
                .ok_or_else(|| invalid("could not find account"))?;
            let token =
                <anchor_spl::token::spl_token::state::Account as solana_sdk::program_pack::Pack>::unpack(&account.data)
                    .map_err(|_| invalid("not a token account"))?;
            Ok(
                json!({"context": ctx, "value": {"amount": token.amount.to_string(), "decimals": 6, "uiAmount": null, "uiAmountString": token.amount.to_string()}}),
            )
        }
        "getProgramAccounts" => {
            let program = pubkey_param(params, 0)?;
            let cfg = config(params, 1);
            let filters = parse_filters(&cfg)?;
            let accounts = chain.program_accounts(&program, &filters).await;
            let list: Vec<Value> = accounts
                .iter()
                .map(|(k, a)| json!({"pubkey": k.to_string(), "account": account_json(a, encoding(&cfg))}))
                .collect();
            if cfg.get("withContext").and_then(Value::as_bool).unwrap_or(false) {
                Ok(json!({"context": ctx, "value": list}))
            } else {
                Ok(json!(list))
            }
        }
        "getSignatureStatuses" => {
            let sigs = param(params, 0)
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("expected an array of signatures"))?;
            let values: Vec<Value> = sigs
                .iter()
                .map(|v| {
                    Signature::from_str(v.as_str().unwrap_or_default())
                        .ok()
                        .and_then(|sig| chain.txs.get(&sig))
                        .map(status_json)
                        .unwrap_or(Value::Null)
                })
                .collect();
            Ok(json!({"context": ctx, "value": values}))
        }
        "getTransaction" => {
            let sig = param(params, 0)
                .and_then(Value::as_str)
                .and_then(|s| Signature::from_str(s).ok())
                .ok_or_else(|| invalid("invalid signature"))?;
            let Some(record) = chain.txs.get(&sig) else {
                return Ok(Value::Null);
            };
            let tx: VersionedTransaction = bincode::deserialize(&record.wire).map_err(|e| invalid(e.to_string()))?;
            let cfg = config(params, 1);
            let transaction = if cfg.get("encoding").and_then(Value::as_str) == Some("base64") {
                json!([B64.encode(&record.wire), "base64"])
            } else {
                json!({"signatures": tx.signatures.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "message": message_json(&tx.message)})
            };
            let version = match tx.message {
                VersionedMessage::Legacy(_) => json!("legacy"),
                VersionedMessage::V0(_) => json!(0),
            };
            let err = tx_error_json(&record.err);
            Ok(json!({
                "slot": record.slot,
                "blockTime": record.block_time,
                "version": version,
                "transaction": transaction,
                "meta": {
                    "err": err,
                    "status": if record.err.is_some() { json!({"Err": err}) } else { json!({"Ok": null}) },
                    "fee": 5000 * tx.signatures.len() as u64,
                    "preBalances": [], "postBalances": [], "innerInstructions": [], "preTokenBalances": [], "postTokenBalances": [],
                    "logMessages": record.logs, "rewards": [], "loadedAddresses": {"writable": [], "readonly": []},
                    "computeUnitsConsumed": record.units,
                    "returnData": return_data_json(&record.return_data),
                },
            }))
        }
        "simulateTransaction" => {
            let (_, tx) = decode_tx(params)?;
            let sim = chain.simulate(tx).await.map_err(send_error)?;
            Ok(
                json!({"context": ctx, "value": {"err": tx_error_json(&sim.err), "logs": sim.logs, "accounts": null, "unitsConsumed": sim.units, "returnData": return_data_json(&sim.return_data)}}),
            )
        }
        "sendTransaction" => {
            s.port.sends.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if s.port.config().lose_sends {
                // Lost on its way to the leader: never executed, and the sender hears nothing.
                *abort = true;
                return Err(invalid("lost"));
            }
            let (wire, _) = decode_tx(params)?;
            let skip_preflight = config(params, 1)
                .get("skipPreflight")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let signature = chain.send(&wire, skip_preflight).await.map_err(send_error)?;
            if s.port.take_drop_next_send() {
                *abort = true;
            }
            Ok(json!(signature.to_string()))
        }
        "requestAirdrop" => {
            let key = pubkey_param(params, 0)?;
            let lamports = param(params, 1)
                .and_then(Value::as_u64)
                .ok_or_else(|| invalid("expected lamports"))?;
            let signature = chain.airdrop(&key, lamports).await.map_err(send_error)?;
            Ok(json!(signature.to_string()))
        }
        other => Err(RpcError {
            code: -32601,
            message: format!("Method not found: {other}"),
            data: None,
        }),
    }
}

/// `{ programId, data: [base64, "base64"] }`, or null when no program returned anything.
fn return_data_json(data: &Option<(Pubkey, Vec<u8>)>) -> Value {
    match data {
        Some((program_id, bytes)) => {
            json!({"programId": program_id.to_string(), "data": [B64.encode(bytes), "base64"]})
        }
        None => Value::Null,
    }
}

fn parse_filters(cfg: &Value) -> Result<Vec<AccountFilter>, RpcError> {
    let Some(filters) = cfg.get("filters").and_then(Value::as_array) else {
        return Ok(vec![]);
    };
    filters
        .iter()
        .map(|f| {
            if let Some(size) = f.get("dataSize").and_then(Value::as_u64) {
                return Ok(AccountFilter::DataSize(size as usize));
            }
            let m = f.get("memcmp").ok_or_else(|| invalid("unsupported filter"))?;
            let offset = m
                .get("offset")
                .and_then(Value::as_u64)
                .ok_or_else(|| invalid("memcmp needs an offset"))? as usize;
            let text = m
                .get("bytes")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("memcmp needs bytes"))?;
            let bytes = if m.get("encoding").and_then(Value::as_str) == Some("base64") {
                B64.decode(text).map_err(|_| invalid("invalid base64 in memcmp"))?
            } else {
                bs58::decode(text)
                    .into_vec()
                    .map_err(|_| invalid("invalid base58 in memcmp"))?
            };
            Ok(AccountFilter::Memcmp { offset, bytes })
        })
        .collect()
}

async fn handle_ws(State(s): State<RpcState>, upgrade: WebSocketUpgrade) -> Response {
    if s.port.is_down() {
        return aborted();
    }
    upgrade.on_upgrade(move |socket| ws_session(s, socket))
}

/// signatureSubscribe: answers with a subscription id, then one notification once the signature has
/// landed (at once when it already has). Other subscriptions are not offered.
async fn ws_session(s: RpcState, mut socket: WebSocket) {
    let mut next_id: u64 = 1;
    let mut watching: Vec<(u64, Signature)> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(Message::Text(text))) = incoming else {
                    if matches!(incoming, Some(Ok(_))) { continue } else { return }
                };
                let call: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                let id = call.get("id").cloned().unwrap_or(Value::Null);
                let method = call.get("method").and_then(Value::as_str).unwrap_or_default();
                let params = call.get("params").cloned().unwrap_or(Value::Null);
                let reply = match method {
                    "signatureSubscribe" => match param(&params, 0).and_then(Value::as_str).and_then(|t| Signature::from_str(t).ok()) {
                        Some(sig) => {
                            watching.push((next_id, sig));
                            next_id += 1;
                            json!({"jsonrpc": "2.0", "id": id, "result": next_id - 1})
                        }
                        None => json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32602, "message": "invalid signature"}}),
                    },
                    m if m.ends_with("Unsubscribe") => {
                        if let Some(sub) = param(&params, 0).and_then(Value::as_u64) { watching.retain(|(i, _)| *i != sub); }
                        json!({"jsonrpc": "2.0", "id": id, "result": true})
                    }
                    other => json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": format!("subscription not offered: {other}")}}),
                };
                if socket.send(Message::Text(reply.to_string().into())).await.is_err() { return }
            }
            _ = tick.tick() => {
                if watching.is_empty() { continue }
                let chain = s.chain.lock().await;
                let mut done = Vec::new();
                for (sub, sig) in &watching {
                    if let Some(record) = chain.txs.get(sig) {
                        let note = json!({"jsonrpc": "2.0", "method": "signatureNotification", "params": {"result": {"context": {"slot": record.slot}, "value": {"err": tx_error_json(&record.err)}}, "subscription": sub}});
                        done.push((*sub, note));
                    }
                }
                drop(chain);
                for (sub, note) in done {
                    watching.retain(|(i, _)| *i != sub);
                    if socket.send(Message::Text(note.to_string().into())).await.is_err() { return }
                }
            }
        }
    }
}
