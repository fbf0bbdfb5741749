//! The QuantDesk localnet: a real Solana bank running quantdesk-perp natively, served over JSON-RPC.
#![allow(deprecated)] // solana-sdk 2.3 deprecates its re-exports (system_instruction) in favour of split crates
pub mod bootstrap;
pub mod chain;
pub mod control;
pub mod faults;
pub mod markets;
pub mod pyth;
pub mod rpc;
pub mod seed;
pub mod switchboard;
