use anchor_lang::prelude::*;

use crate::errors::ErrorCode;
use crate::state::*;

#[derive(Accounts)]
#[instruction(market_index: u16)]
pub struct InitMarket<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(seeds = [GLOBAL_SEED], bump = global.bump, has_one = admin @ ErrorCode::Unauthorized)]
    pub global: Account<'info, GlobalState>,
    #[account(init, payer = admin, space = 8 + Market::INIT_SPACE, seeds = [MARKET_SEED, &market_index.to_le_bytes()], bump)]
    pub market: Account<'info, Market>,
    /// CHECK: any account; read as a Pyth v2 price account whenever the market is priced.
    pub oracle: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_init_market(ctx: Context<InitMarket>, market_index: u16, config: MarketConfig) -> Result<()> {
    validate!(config.is_valid(), ErrorCode::InvalidMarketParams);
    let now = Clock::get()?.unix_timestamp;
    let market = &mut ctx.accounts.market;
    market.market_index = market_index;
    market.oracle = ctx.accounts.oracle.key();
    market.config = config;
    market.last_funding_ts = now;
    market.twap_ts = now;
    market.bump = ctx.bumps.market;
    market.oracle_source = OracleSource::Pyth;
    Ok(())
}

#[derive(Accounts)]
pub struct AdminMarket<'info> {
    pub admin: Signer<'info>,
    #[account(seeds = [GLOBAL_SEED], bump = global.bump, has_one = admin @ ErrorCode::Unauthorized)]
    pub global: Account<'info, GlobalState>,
    #[account(mut, seeds = [MARKET_SEED, &market.market_index.to_le_bytes()], bump = market.bump)]
    pub market: Account<'info, Market>,
}

pub fn handle_update_market_params(ctx: Context<AdminMarket>, config: MarketConfig) -> Result<()> {
    validate!(config.is_valid(), ErrorCode::InvalidMarketParams);
    ctx.accounts.market.config = config;
    Ok(())
}

#[derive(Accounts)]
pub struct SetMarketOracle<'info> {
    pub admin: Signer<'info>,
    #[account(seeds = [GLOBAL_SEED], bump = global.bump, has_one = admin @ ErrorCode::Unauthorized)]
    pub global: Account<'info, GlobalState>,
    #[account(mut, seeds = [MARKET_SEED, &market.market_index.to_le_bytes()], bump = market.bump)]
    pub market: Account<'info, Market>,
    /// CHECK: read as an oracle of `source` before the market takes it (a wrong kind or an unreadable
    /// account is refused).
    pub oracle: UncheckedAccount<'info>,
}

/// Points a market at another oracle (a Pyth price account or a Switchboard on-demand pull feed): the
/// account must read as a positive price of that kind now.
pub fn handle_set_market_oracle(ctx: Context<SetMarketOracle>, source: OracleSource) -> Result<()> {
    let market = &mut ctx.accounts.market;
    market.oracle = ctx.accounts.oracle.key();
    market.oracle_source = source;
    let reading = crate::controller::oracle::read_oracle(&ctx.accounts.oracle, market)?;
    validate!(reading.price > 0, ErrorCode::OracleNonPositive);
    Ok(())
}

/// Pausing stops risk-increasing fills, liquidations and funding; reduce-only closes go on at a reliable
/// price. Unpausing restarts the funding period, so the paused time accrues no funding.
pub fn handle_set_market_paused(ctx: Context<AdminMarket>, paused: bool) -> Result<()> {
    let market = &mut ctx.accounts.market;
    if market.paused && !paused {
        market.last_funding_ts = Clock::get()?.unix_timestamp;
    }
    market.paused = paused;
    Ok(())
}

#[derive(Accounts)]
pub struct SetAuthorities<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [GLOBAL_SEED], bump = global.bump, has_one = admin @ ErrorCode::Unauthorized)]
    pub global: Account<'info, GlobalState>,
}

/// Key rotation: the admin names the next admin and keeper (either may stay the same). From the next
/// transaction on, only the new keys are accepted; a compromised keeper is cut off by one admin signature.
pub fn handle_set_authorities(ctx: Context<SetAuthorities>, admin: Pubkey, keeper: Pubkey) -> Result<()> {
    validate!(
        admin != Pubkey::default() && keeper != Pubkey::default(),
        ErrorCode::InvalidAuthority
    );
    let global = &mut ctx.accounts.global;
    global.admin = admin;
    global.keeper = keeper;
    Ok(())
}
