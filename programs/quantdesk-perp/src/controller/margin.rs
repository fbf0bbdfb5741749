use anchor_lang::prelude::*;

use super::oracle::{read_oracle, OracleReading};
use crate::errors::ErrorCode;
use crate::math::{Account as MarginAccount, PricedPosition};
use crate::state::{Market, User};

/// A market with the oracle reading an instruction priced it at.
pub struct PricedMarket {
    pub market: Market,
    pub reading: OracleReading,
}

/// Reads (market, oracle) pairs from remaining accounts, checking each market is ours and each oracle
/// is the one its market names.
pub fn load_priced_markets<'info>(remaining: &'info [AccountInfo<'info>]) -> Result<Vec<PricedMarket>> {
    validate!(remaining.len().is_multiple_of(2), ErrorCode::MissingMarketAccounts);
    remaining
        .chunks(2)
        .map(|pair| {
            let market = Account::<Market>::try_from(&pair[0])?.into_inner();
            let reading = read_oracle(&pair[1], &market)?;
            Ok(PricedMarket { market, reading })
        })
        .collect()
}

/// The user's positions priced for margin math; every open position needs its market priced.
pub fn margin_account(user: &User, markets: &[&PricedMarket]) -> Result<MarginAccount> {
    let mut positions = Vec::new();
    for p in user.open_positions() {
        let priced = markets
            .iter()
            .find(|m| m.market.market_index == p.market_index)
            .ok_or(ErrorCode::MissingMarketAccounts)?;
        positions.push(PricedPosition {
            position: p.math(),
            params: priced.market.config.math(),
            price: priced.reading.price,
            funding_index: priced.market.funding_index_for(p.base.into()),
        });
    }
    Ok(MarginAccount {
        collateral: user.collateral.into(),
        positions,
    })
}
