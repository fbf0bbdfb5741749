//! quantdesk-perp: USDC collateral, perpetual positions, funding and liquidation on Solana.
#![allow(deprecated)] // anchor 0.31's #[program] expands to AccountInfo::realloc
//! Thin entry points; account structs and handlers live in instructions/, state changes in controller/,
//! pure math in math/ (mirrored by domain/perp in TypeScript).
use anchor_lang::prelude::*;

#[macro_use]
pub mod errors;
pub mod controller;
pub mod instructions;
pub mod math;
pub mod state;

use instructions::*;
use state::{BankruptcyReport, LiquidationReport, MarketConfig, OracleSource, TradeReport};

declare_id!("56moPzxQWA5Ykk2thb8XU1YwSeEgfR4hFWAFHEPr9dAf");

#[program]
pub mod quantdesk_perp {
    use super::*;

    pub fn initialize(ctx: Context<Initialize>, keeper: Pubkey) -> Result<()> {
        handle_initialize(ctx, keeper)
    }

    pub fn init_market(ctx: Context<InitMarket>, market_index: u16, config: MarketConfig) -> Result<()> {
        handle_init_market(ctx, market_index, config)
    }

    pub fn update_market_params(ctx: Context<AdminMarket>, config: MarketConfig) -> Result<()> {
        handle_update_market_params(ctx, config)
    }

    pub fn set_market_oracle(ctx: Context<SetMarketOracle>, source: OracleSource) -> Result<()> {
        handle_set_market_oracle(ctx, source)
    }

    pub fn set_market_paused(ctx: Context<AdminMarket>, paused: bool) -> Result<()> {
        handle_set_market_paused(ctx, paused)
    }

    pub fn init_user(ctx: Context<InitUser>, sub_account_id: u16) -> Result<()> {
        handle_init_user(ctx, sub_account_id)
    }

    pub fn cancel_order_nonces(ctx: Context<CancelOrderNonces>, nonces: Vec<u64>) -> Result<()> {
        handle_cancel_order_nonces(ctx, nonces)
    }

    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        handle_deposit(ctx, amount)
    }

    pub fn withdraw<'info>(ctx: Context<'_, '_, 'info, 'info, Withdraw<'info>>, amount: u64) -> Result<()> {
        handle_withdraw(ctx, amount)
    }

    pub fn fill_order<'info>(ctx: Context<'_, '_, 'info, 'info, FillOrder<'info>>) -> Result<TradeReport> {
        handle_fill_order(ctx)
    }

    pub fn update_funding(ctx: Context<UpdateFunding>) -> Result<()> {
        handle_update_funding(ctx)
    }

    pub fn liquidate<'info>(
        ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>,
        liquidation_seq: u64,
        step: u16,
    ) -> Result<LiquidationReport> {
        handle_liquidate(ctx, liquidation_seq, step)
    }

    pub fn resolve_bankruptcy(ctx: Context<ResolveBankruptcy>) -> Result<BankruptcyReport> {
        handle_resolve_bankruptcy(ctx)
    }

    pub fn set_authorities(ctx: Context<SetAuthorities>, admin: Pubkey, keeper: Pubkey) -> Result<()> {
        handle_set_authorities(ctx, admin, keeper)
    }
}
