use anchor_lang::prelude::*;
use anchor_lang::solana_program::sysvar::instructions::{
    self as ix_sysvar, load_current_index_checked, load_instruction_at_checked,
};

use crate::controller::margin::{load_priced_markets, margin_account, PricedMarket};
use crate::controller::oracle::{oracle_refusal, read_oracle};
use crate::controller::position::{execute_fill, position_slot, settle_funding, trade_report, update_twaps, Executed};
use crate::errors::ErrorCode;
use crate::math::margin::{equity, margin_requirement, MarginKind};
use crate::math::trading::{plan_fill, FillMarket, FillOracle, FillRefusal};
use crate::state::*;

/// The native program that verifies ed25519 signatures before the transaction runs.
pub const ED25519_PROGRAM_ID: Pubkey = pubkey!("Ed25519SigVerify111111111111111111111111111");

#[derive(Accounts)]
pub struct FillOrder<'info> {
    pub keeper: Signer<'info>,
    #[account(mut, seeds = [GLOBAL_SEED], bump = global.bump, has_one = keeper @ ErrorCode::Unauthorized)]
    pub global: Account<'info, GlobalState>,
    #[account(mut, seeds = [USER_SEED, user.authority.as_ref(), &user.sub_account_id.to_le_bytes()], bump = user.bump)]
    pub user: Account<'info, User>,
    #[account(mut, seeds = [MARKET_SEED, &market.market_index.to_le_bytes()], bump = market.bump)]
    pub market: Account<'info, Market>,
    /// CHECK: must be the market's oracle; read as a Pyth v2 price account.
    pub oracle: UncheckedAccount<'info>,
    /// CHECK: the instructions sysvar, checked by address.
    #[account(address = ix_sysvar::ID)]
    pub instructions: UncheckedAccount<'info>,
    // remaining accounts: (market, oracle) for the user's other open positions
}

/// Fills a trader's signed order. The order is read from the Ed25519 instruction just before this one,
/// whose signature the runtime has verified; it must be signed by the sub-account's authority. Returns what
/// it executed.
pub fn handle_fill_order<'info>(ctx: Context<'_, '_, 'info, 'info, FillOrder<'info>>) -> Result<TradeReport> {
    let clock = Clock::get()?;
    let user = &mut ctx.accounts.user;
    let order = signed_order(&ctx.accounts.instructions, &user.authority)?;
    validate!(order.user == user.key(), ErrorCode::InvalidOrderSignature);
    user.use_order_nonce(order.nonce)?;
    validate!(order.expiry_ts >= clock.unix_timestamp, ErrorCode::OrderExpired);
    validate!(order.base_amount != 0, ErrorCode::ZeroSize);
    let market = &mut ctx.accounts.market;
    validate!(
        order.market_index == market.market_index,
        ErrorCode::InvalidOrderSignature
    );
    let global = &mut ctx.accounts.global;

    let reading = read_oracle(&ctx.accounts.oracle, market)?;
    let slot = position_slot(user, market)?;
    // The pre-trade rule (math::trading::plan_fill, shared with the TypeScript domain through the vectors):
    // reduce-only clamp, risk, oracle guards on the TWAP before this fill, limit price, open-interest cap.
    let plan = plan_fill(
        &market.config.math(),
        &FillMarket {
            long_open_interest: i128::from(market.long_open_interest),
            short_open_interest: i128::from(market.short_open_interest),
            max_open_interest: i128::from(market.config.max_open_interest_base),
            oracle_twap: i128::from(market.oracle_twap),
            paused: market.paused,
        },
        &FillOracle {
            price: reading.price,
            confidence: reading.confidence,
            publish_slot: reading.publish_slot,
            slot: i128::from(clock.slot),
        },
        i128::from(user.positions[slot].base),
        i128::from(order.base_amount),
        i128::from(order.limit_price),
        order.reduce_only,
    )?
    .map_err(|refusal| match refusal {
        FillRefusal::ReduceOnlyViolated => error!(ErrorCode::ReduceOnlyViolated),
        FillRefusal::Oracle(verdict) => oracle_refusal(verdict),
        FillRefusal::SlippageExceeded => error!(ErrorCode::SlippageExceeded),
        FillRefusal::MaxOpenInterest => error!(ErrorCode::MaxOpenInterest),
        FillRefusal::MarketPaused => error!(ErrorCode::MarketPaused),
    })?;
    update_twaps(market, &reading, clock.unix_timestamp)?;
    let funding_paid = settle_funding(user, slot, market, global)?;
    let outcome = execute_fill(user, slot, market, global, plan.delta, plan.price, plan.fee)?;

    if plan.risk_increasing {
        let this = PricedMarket {
            market: (**market).clone(),
            reading,
        };
        let others = load_priced_markets(ctx.remaining_accounts)?;
        let priced: Vec<&PricedMarket> = std::iter::once(&this).chain(others.iter()).collect();
        let account = margin_account(user, &priced)?;
        validate!(
            equity(&account)? >= margin_requirement(&account, MarginKind::Initial)?,
            ErrorCode::InsufficientCollateral
        );
    }
    let executed = Executed {
        market_index: market.market_index,
        delta: plan.delta,
        price: plan.price,
        fee: plan.fee,
        funding_paid,
        realized_pnl: outcome.realized_pnl,
    };
    trade_report(user, slot, executed)
}

/// The order carried by the preceding Ed25519 program instruction, if it is signed by `authority`.
fn signed_order(instructions: &AccountInfo, authority: &Pubkey) -> Result<OrderMessage> {
    let current = load_current_index_checked(instructions)?;
    validate!(current > 0, ErrorCode::InvalidOrderSignature);
    let ix = load_instruction_at_checked(usize::from(current - 1), instructions)?;
    validate!(ix.program_id == ED25519_PROGRAM_ID, ErrorCode::InvalidOrderSignature);
    let d = &ix.data;
    validate!(d.len() >= 16 && d[0] == 1, ErrorCode::InvalidOrderSignature);
    let field = |i: usize| usize::from(u16::from_le_bytes([d[2 + 2 * i], d[3 + 2 * i]]));
    // Offsets: signature, its ix index, public key, its ix index, message, size, its ix index.
    let here = usize::from(u16::MAX);
    validate!(
        field(1) == here && field(3) == here && field(6) == here,
        ErrorCode::InvalidOrderSignature
    );
    let (pk_at, msg_at, msg_len) = (field(2), field(4), field(5));
    let pubkey = d.get(pk_at..pk_at + 32).ok_or(ErrorCode::InvalidOrderSignature)?;
    validate!(pubkey == authority.as_ref(), ErrorCode::InvalidOrderSignature);
    let message = d
        .get(msg_at..msg_at + msg_len)
        .ok_or(ErrorCode::InvalidOrderSignature)?;
    OrderMessage::from_signed_bytes(message).ok_or_else(|| error!(ErrorCode::InvalidOrderSignature))
}
