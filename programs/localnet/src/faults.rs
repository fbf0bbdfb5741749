//! Per-port fault injection, so each port behaves as a provider that can fail on its own.
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FaultConfig {
    /// Connections are dropped unanswered, as if the provider were killed.
    pub down: bool,
    /// Added before every request is handled.
    pub latency_ms: u64,
    /// Added after a request is handled, before its answer (a send has executed by then).
    pub latency_after_ms: u64,
    /// Like latency_after_ms, for sendTransaction only: the transaction lands, its sender hears late.
    pub send_latency_after_ms: u64,
    /// Share of requests answered with HTTP 503, in per mille (spread evenly, not at random).
    pub error_permille: u32,
    /// Slots the provider reports behind the chain.
    pub stale_slots: u64,
    /// The next sendTransaction executes, then the provider dies before answering.
    pub drop_next_send: bool,
    /// Every sendTransaction is lost unexecuted, and the connection dies unanswered.
    pub lose_sends: bool,
}

pub struct PortState {
    pub port: u16,
    config: Mutex<FaultConfig>,
    error_budget: Mutex<u32>,
    pub requests: AtomicU64,
    pub sends: AtomicU64,
}

impl PortState {
    pub fn new(port: u16) -> Self {
        Self {
            port,
            config: Mutex::new(FaultConfig::default()),
            error_budget: Mutex::new(0),
            requests: AtomicU64::new(0),
            sends: AtomicU64::new(0),
        }
    }

    pub fn config(&self) -> FaultConfig {
        self.config.lock().unwrap().clone()
    }

    pub fn set(&self, config: FaultConfig) {
        *self.config.lock().unwrap() = config;
        *self.error_budget.lock().unwrap() = 0;
    }

    pub fn is_down(&self) -> bool {
        self.config.lock().unwrap().down
    }

    /// Deterministic error spreading: accumulate the rate, fail each time it passes 1000.
    pub fn should_fail(&self) -> bool {
        let permille = self.config.lock().unwrap().error_permille.min(1000);
        let mut budget = self.error_budget.lock().unwrap();
        *budget += permille;
        if *budget >= 1000 {
            *budget -= 1000;
            return true;
        }
        false
    }

    /// Consumes a pending drop-next-send: the provider goes down and the answer is never sent.
    pub fn take_drop_next_send(&self) -> bool {
        let mut config = self.config.lock().unwrap();
        if !config.drop_next_send {
            return false;
        }
        config.drop_next_send = false;
        config.down = true;
        true
    }

    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
}
