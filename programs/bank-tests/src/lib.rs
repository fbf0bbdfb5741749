//! Tests only: see tests/bank.rs.
