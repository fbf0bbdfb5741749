//! quantdesk-perp running natively on a real bank (solana-program-test) with SPL Token: the money path
//! end to end, and the attacks that must fail.
mod common;

use common::*;
use quantdesk_perp::errors::ErrorCode;
use quantdesk_perp::math::trading::{fill_price, taker_fee};
use quantdesk_perp::state::{GlobalState, Market, OracleSource, User};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

#[tokio::test]
async fn deposit_fill_funding_liquidation_withdraw_conserves_money() {
    let mut env = Env::start().await;
    let t = env.trader(5_000 * USDC).await;
    let wallet = t.wallet.insecure_clone();

    env.send(vec![env.deposit_ix(&t, &wallet.pubkey(), 1_000 * USDC)], &[&wallet])
        .await
        .unwrap();
    assert_eq!(env.token_balance(&env.vault.clone()).await, 1_000 * USDC);
    assert_eq!(env.account::<User>(&t.user).await.collateral, 1_000 * USDC as i64);

    // Market buy 50 SOL at a 100 USD oracle: the fill pays the skew premium and the taker fee.
    let params = quantdesk_perp::state::MarketConfig::math(&sol_perp_config());
    let expected_price = fill_price(100 * PRICE as i128, 0, 50 * BASE as i128, params.skew_scale_base).unwrap();
    let expected_fee = taker_fee(&params, 50 * BASE as i128, expected_price).unwrap();
    env.fill(&env.order(&t, 50 * BASE, 101 * PRICE, 1, false), &wallet)
        .await
        .unwrap();
    let user: User = env.account(&t.user).await;
    assert_eq!(user.positions[0].base, 50 * BASE);
    assert_eq!(i128::from(user.collateral), 1_000 * USDC as i128 - expected_fee);
    let market: Market = env.account(&env.market.clone()).await;
    assert_eq!(market.long_open_interest, 50 * BASE as u64);
    env.assert_conserved(&[&t]).await;

    // An hour later the funding crank moves the index: the book is all long, so longs pay.
    env.advance(10, 3_601).await;
    env.set_price(100_0000_0000, 1_000_000).await;
    env.update_funding().await.unwrap();
    let market: Market = env.account(&env.market.clone()).await;
    assert!(
        market.last_funding_rate > 0,
        "longs pay when the mark is above the oracle"
    );
    assert!(market.cumulative_funding_index_long > 0);
    assert_eq!(
        market.cumulative_funding_index_short, market.cumulative_funding_index_long,
        "funding moves both sides alike"
    );
    assert_eq!(
        program_error(env.update_funding().await.unwrap_err()),
        custom(ErrorCode::FundingNotDue)
    );

    // The price falls to 81: below maintenance, partial liquidation steps restore the account.
    env.advance(2, 1).await;
    env.set_price(81_0000_0000, 1_000_000).await;
    let insurance_before = env.account::<GlobalState>(&env.global.clone()).await.insurance_fund;
    let mut steps = 0;
    while env.liquidate(&t).await.is_ok() {
        steps += 1;
        env.advance(1, 1).await;
        env.set_price(81_0000_0000, 1_000_000).await;
    }
    assert!(steps >= 1);
    let user: User = env.account(&t.user).await;
    assert!(
        user.positions[0].base > 0 && user.positions[0].base < 50 * BASE,
        "a partial liquidation leaves part of the position"
    );
    assert!(
        env.account::<GlobalState>(&env.global.clone()).await.insurance_fund > insurance_before,
        "the fee goes to insurance"
    );
    assert_eq!(
        program_error(env.liquidate(&t).await.unwrap_err()),
        custom(ErrorCode::NotLiquidatable)
    );
    env.assert_conserved(&[&t]).await;

    // Close the rest reduce-only (allowed even though the price is far from its TWAP), then withdraw all.
    env.fill(&env.order(&t, -50 * BASE, 0, 2, true), &wallet).await.unwrap();
    let user: User = env.account(&t.user).await;
    assert!(user.open_positions().next().is_none());
    let balance = user.collateral as u64;
    let before = env.token_balance(&t.token).await;
    env.send(vec![env.withdraw_ix(&t, &wallet.pubkey(), balance, false)], &[&wallet])
        .await
        .unwrap();
    assert_eq!(env.token_balance(&t.token).await, before + balance);
    assert_eq!(env.account::<User>(&t.user).await.collateral, 0);
    env.assert_conserved(&[&t]).await;
}

#[tokio::test]
async fn a_gap_through_bankruptcy_is_paid_by_insurance_then_socialized() {
    let mut env = Env::start().await;
    let t = env.trader(1_000 * USDC).await;
    let other = env.trader(10_000 * USDC).await;
    let (w, ow) = (t.wallet.insecure_clone(), other.wallet.insecure_clone());
    env.send(vec![env.deposit_ix(&t, &w.pubkey(), 1_000 * USDC)], &[&w])
        .await
        .unwrap();
    env.send(vec![env.deposit_ix(&other, &ow.pubkey(), 10_000 * USDC)], &[&ow])
        .await
        .unwrap();
    env.fill(&env.order(&t, 150 * BASE, 101 * PRICE, 1, false), &w)
        .await
        .unwrap();
    env.fill(&env.order(&other, 10 * BASE, 101 * PRICE, 1, false), &ow)
        .await
        .unwrap();

    env.advance(2, 1).await;
    env.set_price(85_0000_0000, 1_000_000).await; // -15 % on a ~6.7x long: equity below zero
    while env.liquidate(&t).await.is_ok() {
        env.advance(1, 1).await;
        env.set_price(85_0000_0000, 1_000_000).await;
    }
    let user: User = env.account(&t.user).await;
    assert!(user.open_positions().next().is_none());
    assert!(user.collateral < 0, "the account is bankrupt");
    let before: Market = env.account(&env.market.clone()).await;
    env.resolve_bankruptcy(&t).await.unwrap();
    assert_eq!(env.account::<User>(&t.user).await.collateral, 0);
    let global: GlobalState = env.account(&env.global.clone()).await;
    assert_eq!(global.insurance_fund, 0, "the fund paid what it held");
    let after: Market = env.account(&env.market.clone()).await;
    assert!(
        after.cumulative_funding_index_long > before.cumulative_funding_index_long,
        "the rest is charged to the longs"
    );
    assert_eq!(
        after.cumulative_funding_index_short, before.cumulative_funding_index_short,
        "and not to the shorts"
    );
    env.assert_conserved(&[&t, &other]).await;
    assert_eq!(
        program_error(env.resolve_bankruptcy(&t).await.unwrap_err()),
        custom(ErrorCode::NotBankrupt)
    );
}

#[tokio::test]
async fn liquidation_episodes_run_once_and_a_new_one_starts_at_once() {
    let mut env = Env::start().await;
    let t = env.trader(1_000 * USDC).await;
    let w = t.wallet.insecure_clone();
    env.send(vec![env.deposit_ix(&t, &w.pubkey(), 1_000 * USDC)], &[&w])
        .await
        .unwrap();
    env.fill(&env.order(&t, 50 * BASE, 101 * PRICE, 1, false), &w)
        .await
        .unwrap();
    assert_eq!(env.account::<User>(&t.user).await.current_liquidation_seq(), 1);

    // Under water: the first step opens episode 1; a call naming episode 2 (a stale or second detector) is refused.
    env.advance(2, 1).await;
    env.set_price(81_0000_0000, 1_000_000).await;
    assert_eq!(
        program_error(env.liquidate_in_episode(&t, 2).await.unwrap_err()),
        custom(ErrorCode::StaleLiquidation)
    );
    env.liquidate_in_episode(&t, 1).await.unwrap();
    let user: User = env.account(&t.user).await;
    assert_eq!(
        (user.liquidation_seq, user.liquidation_steps, user.episode_steps),
        (1, 1, 1)
    );
    assert!(
        user.being_liquidated,
        "a capped step leaves the account under water: the episode stays open"
    );
    // Step 0 again (a resent or duplicated step): refused, so every step executes once.
    assert_eq!(
        program_error(env.liquidate_step(&t, 1, 0).await.unwrap_err()),
        custom(ErrorCode::StaleLiquidation)
    );

    // The market recovers before the next step: the open episode is closed without a trade.
    env.advance(1, 1).await;
    env.set_price(100_0000_0000, 1_000_000).await;
    let base = env.account::<User>(&t.user).await.positions[0].base;
    env.liquidate_in_episode(&t, 1).await.unwrap();
    let user: User = env.account(&t.user).await;
    assert!(!user.being_liquidated);
    assert_eq!((user.positions[0].base, user.liquidation_steps), (base, 1));
    assert_eq!(
        program_error(env.liquidate_in_episode(&t, 1).await.unwrap_err()),
        custom(ErrorCode::StaleLiquidation)
    );
    assert_eq!(
        program_error(env.liquidate_in_episode(&t, 2).await.unwrap_err()),
        custom(ErrorCode::NotLiquidatable)
    );

    // Pushed under again seconds later: episode 2 starts at once, and episode 1 can no longer execute.
    env.advance(1, 1).await;
    env.set_price(81_0000_0000, 1_000_000).await;
    assert_eq!(
        program_error(env.liquidate_in_episode(&t, 1).await.unwrap_err()),
        custom(ErrorCode::StaleLiquidation)
    );
    while env.liquidate_in_episode(&t, 2).await.is_ok() {
        env.advance(1, 1).await;
        env.set_price(81_0000_0000, 1_000_000).await;
    }
    let user: User = env.account(&t.user).await;
    assert_eq!(user.liquidation_seq, 2);
    assert!(
        !user.being_liquidated,
        "the last step restored the account: the episode is closed"
    );
    assert!(user.liquidation_steps >= 2);
    env.assert_conserved(&[&t]).await;
}

#[tokio::test]
async fn each_step_of_an_episode_may_close_twice_the_last() {
    // This bank's market closes at most a quarter at a first step (the listed markets: half).
    let mut env = Env::start().await;
    let t = env.trader(1_000 * USDC).await;
    let w = t.wallet.insecure_clone();
    env.send(vec![env.deposit_ix(&t, &w.pubkey(), 1_000 * USDC)], &[&w])
        .await
        .unwrap();
    env.fill(&env.order(&t, 50 * BASE, 101 * PRICE, 1, false), &w)
        .await
        .unwrap();
    // At 81 the equity is about 1 % of the notional: about nine tenths of the position must go.
    env.advance(2, 1).await;
    env.set_price(81_0000_0000, 1_000_000).await;
    let mut sizes = vec![env.account::<User>(&t.user).await.positions[0].base];
    for _ in 0..3 {
        env.liquidate_in_episode(&t, 1).await.unwrap();
        sizes.push(env.account::<User>(&t.user).await.positions[0].base);
        env.advance(1, 1).await;
        env.set_price(81_0000_0000, 1_000_000).await;
    }
    // A quarter of the position, then half of what is left, then just what restores the account.
    assert_eq!(sizes[1], sizes[0] - sizes[0] / 4);
    assert_eq!(sizes[2], sizes[1] - sizes[1] / 2);
    assert!(sizes[3] > 0 && sizes[3] < sizes[2]);
    let user: User = env.account(&t.user).await;
    assert!(!user.being_liquidated, "the third step restored the account");
    assert_eq!((user.liquidation_seq, user.episode_steps), (1, 3));
    assert_eq!(
        program_error(env.liquidate_in_episode(&t, 1).await.unwrap_err()),
        custom(ErrorCode::StaleLiquidation)
    );
    env.assert_conserved(&[&t]).await;
}

#[tokio::test]
async fn deposits_and_withdrawals_need_the_accounts_authority() {
    let mut env = Env::start().await;
    let t = env.trader(1_000 * USDC).await;
    let thief = Keypair::new();
    env.airdrop(&thief.pubkey(), 1_000_000_000).await;
    let w = t.wallet.insecure_clone();
    env.send(vec![env.deposit_ix(&t, &w.pubkey(), 500 * USDC)], &[&w])
        .await
        .unwrap();

    assert!(env
        .send(vec![env.deposit_ix(&t, &thief.pubkey(), 100 * USDC)], &[&thief])
        .await
        .is_err());
    assert!(env
        .send(vec![env.withdraw_ix(&t, &thief.pubkey(), 100 * USDC, false)], &[&thief])
        .await
        .is_err());
    assert_eq!(env.account::<User>(&t.user).await.collateral, 500 * USDC as i64);
    assert_eq!(env.token_balance(&env.vault.clone()).await, 500 * USDC);
}

#[tokio::test]
async fn orders_must_be_signed_by_the_authority_filled_by_the_keeper_and_used_once() {
    let mut env = Env::start().await;
    let t = env.trader(1_000 * USDC).await;
    let w = t.wallet.insecure_clone();
    env.send(vec![env.deposit_ix(&t, &w.pubkey(), 1_000 * USDC)], &[&w])
        .await
        .unwrap();
    let order = env.order(&t, 10 * BASE, 101 * PRICE, 7, false);

    let forger = Keypair::new();
    assert_eq!(
        program_error(env.fill(&order, &forger).await.unwrap_err()),
        custom(ErrorCode::InvalidOrderSignature)
    );

    let impostor = Keypair::new();
    env.airdrop(&impostor.pubkey(), 1_000_000_000).await;
    let ixs = env.fill_ixs(&order, &w, &impostor.pubkey());
    assert_eq!(
        program_error(env.send(ixs, &[&impostor]).await.unwrap_err()),
        custom(ErrorCode::Unauthorized)
    );

    env.fill(&order, &w).await.unwrap();
    assert_eq!(
        program_error(env.fill(&order, &w).await.unwrap_err()),
        custom(ErrorCode::OrderNonceReused)
    );
    assert_eq!(
        env.account::<User>(&t.user).await.positions[0].base,
        10 * BASE,
        "exactly one execution"
    );

    let tight = env.order(&t, 10 * BASE, 100 * PRICE, 8, false);
    assert_eq!(
        program_error(env.fill(&tight, &w).await.unwrap_err()),
        custom(ErrorCode::SlippageExceeded)
    );
}

#[tokio::test]
async fn resting_orders_fill_after_later_orders_and_the_wallet_can_cancel_them_on_chain() {
    let mut env = Env::start().await;
    let t = env.trader(1_000 * USDC).await;
    let w = t.wallet.insecure_clone();
    env.send(vec![env.deposit_ix(&t, &w.pubkey(), 1_000 * USDC)], &[&w])
        .await
        .unwrap();
    env.fill(&env.order(&t, 10 * BASE, 101 * PRICE, 10, false), &w)
        .await
        .unwrap();
    // A stop-loss signed now (nonce 11) rests; the trader keeps trading with later nonces.
    let stop = env.order(&t, -10 * BASE, 50 * PRICE, 11, true);
    let cancelled = env.order(&t, -5 * BASE, 50 * PRICE, 12, true);
    for nonce in 13..16 {
        env.fill(&env.order(&t, BASE, 101 * PRICE, nonce, false), &w)
            .await
            .unwrap();
    }
    // The wallet cancels nonce 12 itself: no keeper can fill it any more.
    env.send(vec![env.cancel_nonces_ix(&t, &w.pubkey(), vec![12])], &[&w])
        .await
        .unwrap();
    assert_eq!(
        program_error(env.fill(&cancelled, &w).await.unwrap_err()),
        custom(ErrorCode::OrderNonceReused)
    );
    // Someone else cannot cancel the trader's orders.
    let thief = Keypair::new();
    env.airdrop(&thief.pubkey(), 1_000_000_000).await;
    assert!(env
        .send(vec![env.cancel_nonces_ix(&t, &thief.pubkey(), vec![11])], &[&thief])
        .await
        .is_err());
    assert_eq!(
        program_error(
            env.send(vec![env.cancel_nonces_ix(&t, &w.pubkey(), vec![])], &[&w])
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::InvalidNonceList)
    );
    // The stop triggers: it fills after every later order, once.
    env.fill(&stop, &w).await.unwrap();
    assert_eq!(env.account::<User>(&t.user).await.positions[0].base, 3 * BASE);
    assert_eq!(
        program_error(env.fill(&stop, &w).await.unwrap_err()),
        custom(ErrorCode::OrderNonceReused)
    );
    // The window keeps the 64 highest nonces used: once they are all above an unused one, it is too old.
    let old = env.order(&t, BASE, 101 * PRICE, 5, false);
    let cancels: Vec<u64> = (100..164).collect();
    for chunk in cancels.chunks(16) {
        env.send(vec![env.cancel_nonces_ix(&t, &w.pubkey(), chunk.to_vec())], &[&w])
            .await
            .unwrap();
    }
    assert_eq!(
        program_error(env.fill(&old, &w).await.unwrap_err()),
        custom(ErrorCode::OrderNonceReused)
    );
    let user = env.account::<User>(&t.user).await;
    assert_eq!(
        (user.last_order_nonce, *user.order_nonces.iter().min().unwrap()),
        (163, 100)
    );
    env.fill(&env.order(&t, BASE, 101 * PRICE, 200, false), &w)
        .await
        .unwrap();
    assert_eq!(env.account::<User>(&t.user).await.positions[0].base, 4 * BASE);
}

#[tokio::test]
async fn withdrawals_beyond_free_collateral_are_refused() {
    let mut env = Env::start().await;
    let t = env.trader(1_000 * USDC).await;
    let w = t.wallet.insecure_clone();
    env.send(vec![env.deposit_ix(&t, &w.pubkey(), 1_000 * USDC)], &[&w])
        .await
        .unwrap();
    env.fill(&env.order(&t, 150 * BASE, 101 * PRICE, 1, false), &w)
        .await
        .unwrap();

    let too_much = env.withdraw_ix(&t, &w.pubkey(), 500 * USDC, true);
    assert_eq!(
        program_error(env.send(vec![too_much], &[&w]).await.unwrap_err()),
        custom(ErrorCode::InsufficientFreeCollateral)
    );
    let without_prices = env.withdraw_ix(&t, &w.pubkey(), 10 * USDC, false);
    assert_eq!(
        program_error(env.send(vec![without_prices], &[&w]).await.unwrap_err()),
        custom(ErrorCode::MissingMarketAccounts)
    );
    env.send(vec![env.withdraw_ix(&t, &w.pubkey(), 100 * USDC, true)], &[&w])
        .await
        .unwrap();
    env.assert_conserved(&[&t]).await;
}

#[tokio::test]
async fn a_stale_or_unconfident_oracle_blocks_every_fill_and_a_far_twap_blocks_added_risk() {
    let mut env = Env::start().await;
    let t = env.trader(1_000 * USDC).await;
    let w = t.wallet.insecure_clone();
    env.send(vec![env.deposit_ix(&t, &w.pubkey(), 1_000 * USDC)], &[&w])
        .await
        .unwrap();
    env.fill(&env.order(&t, 5 * BASE, 101 * PRICE, 1, false), &w)
        .await
        .unwrap();

    env.advance(30, 12).await; // the price is now 30 slots old
    assert_eq!(
        program_error(
            env.fill(&env.order(&t, 5 * BASE, 101 * PRICE, 2, false), &w)
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::OracleStale)
    );
    // No fill at a stale price, not even one that reduces risk (it would close at a price that is gone).
    assert_eq!(
        program_error(env.fill(&env.order(&t, -BASE, 0, 3, true), &w).await.unwrap_err()),
        custom(ErrorCode::OracleStale)
    );

    env.set_price(100_0000_0000, 5_0000_0000).await; // confidence 5 %
    assert_eq!(
        program_error(
            env.fill(&env.order(&t, 5 * BASE, 101 * PRICE, 4, false), &w)
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::OracleLowConfidence)
    );
    assert_eq!(
        program_error(env.fill(&env.order(&t, -BASE, 0, 5, true), &w).await.unwrap_err()),
        custom(ErrorCode::OracleLowConfidence)
    );

    // Far from its TWAP, fresh and confident: adding risk is refused, reducing it is not.
    env.set_price(130_0000_0000, 1_0000).await;
    assert_eq!(
        program_error(
            env.fill(&env.order(&t, BASE, 200 * PRICE, 6, false), &w)
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::OracleTwapDeviation)
    );
    env.fill(&env.order(&t, -BASE, 0, 7, true), &w).await.unwrap();
    // The TWAP moved only with the fill that passed: the next risk-increasing order is still compared
    // with the TWAP before the jump, not with the jump itself.
    assert_eq!(
        program_error(
            env.fill(&env.order(&t, BASE, 200 * PRICE, 8, false), &w)
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::OracleTwapDeviation)
    );
}

#[tokio::test]
async fn a_market_on_a_switchboard_feed_is_priced_and_guarded_by_it() {
    let mut env = Env::start().await;
    let (t, w) = env.funded_trader(100 * USDC).await;
    let admin = env.admin.insecure_clone();
    let feed = solana_sdk::pubkey::Pubkey::new_unique();
    env.advance(40, 16).await; // room for a feed result 30 slots old below
    env.set_price(100_0000_0000, 1_000_000).await;
    let slot = env.clock().await.slot;
    env.set_feed(feed, 100 * PRICE, PRICE / 10, slot, 3);
    let sb = OracleSource::SwitchboardOnDemand;

    // Only the admin moves the market, and only to an account that reads as the kind it names.
    assert_eq!(
        program_error(env.set_market_oracle(&w, feed, sb).await.unwrap_err()),
        custom(ErrorCode::Unauthorized)
    );
    let pyth = env.oracle;
    assert_eq!(
        program_error(env.set_market_oracle(&admin, pyth, sb).await.unwrap_err()),
        custom(ErrorCode::InvalidOracle)
    );
    assert_eq!(
        program_error(
            env.set_market_oracle(&admin, feed, OracleSource::Pyth)
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::InvalidOracle)
    );
    env.set_market_oracle(&admin, feed, sb).await.unwrap();
    let market_key = env.market;
    let market = env.account::<Market>(&market_key).await;
    assert_eq!((market.oracle, market.oracle_source), (feed, sb));
    env.oracle = feed;

    // Fills price off the feed: 5 long at 100 on 100 USDC.
    env.fill(&env.order(&t, 5 * BASE, 101 * PRICE, 1, false), &w)
        .await
        .unwrap();
    // The Pyth account the market left is refused now.
    env.oracle = pyth;
    assert_eq!(
        program_error(
            env.fill(&env.order(&t, BASE, 101 * PRICE, 2, false), &w)
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::InvalidOracle)
    );
    env.oracle = feed;
    // Its standard deviation is the confidence the guard checks (5 % > the market's 2 %).
    let slot = env.clock().await.slot;
    env.set_feed(feed, 100 * PRICE, 5 * PRICE, slot, 3);
    assert_eq!(
        program_error(
            env.fill(&env.order(&t, BASE, 101 * PRICE, 3, false), &w)
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::OracleLowConfidence)
    );
    // A result 30 slots old, or one without samples, is stale.
    env.set_feed(feed, 100 * PRICE, PRICE / 10, slot - 30, 3);
    assert_eq!(
        program_error(
            env.fill(&env.order(&t, BASE, 101 * PRICE, 4, false), &w)
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::OracleStale)
    );
    let slot = env.clock().await.slot;
    env.set_feed(feed, 100 * PRICE, PRICE / 10, slot, 0);
    assert_eq!(
        program_error(
            env.fill(&env.order(&t, BASE, 101 * PRICE, 5, false), &w)
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::OracleStale)
    );
    // The feed falls to 80: the account is below maintenance and the keeper liquidates it at the feed's price.
    env.set_feed(feed, 80 * PRICE, PRICE / 10, slot, 3);
    env.liquidate(&t).await.unwrap();
    let user = env.account::<User>(&t.user).await;
    assert!(user.liquidation_steps > 0);
}

#[tokio::test]
async fn accounts_of_the_wrong_owner_or_oracle_are_rejected() {
    let mut env = Env::start().await;
    let t = env.trader(1_000 * USDC).await;
    let w = t.wallet.insecure_clone();
    env.send(vec![env.deposit_ix(&t, &w.pubkey(), 1_000 * USDC)], &[&w])
        .await
        .unwrap();
    env.fill(&env.order(&t, 5 * BASE, 101 * PRICE, 1, false), &w)
        .await
        .unwrap();

    // A lookalike market owned by another program.
    let real = env.ctx.banks_client.get_account(env.market).await.unwrap().unwrap();
    let fake = solana_sdk::pubkey::Pubkey::new_unique();
    let mut lookalike = real.clone();
    lookalike.owner = solana_sdk::pubkey::Pubkey::new_unique();
    env.ctx.set_account(&fake, &lookalike.into());
    let mut ix = env.withdraw_ix(&t, &w.pubkey(), USDC, false);
    ix.accounts
        .push(solana_sdk::instruction::AccountMeta::new_readonly(fake, false));
    ix.accounts
        .push(solana_sdk::instruction::AccountMeta::new_readonly(env.oracle, false));
    assert_eq!(program_error(env.send(vec![ix], &[&w]).await.unwrap_err()), 3007); // AccountOwnedByWrongProgram

    // The right market with an oracle it does not name.
    let other_oracle = solana_sdk::pubkey::Pubkey::new_unique();
    env.ctx.set_account(
        &other_oracle,
        &solana_sdk::account::Account {
            lamports: 1_000_000_000,
            data: pyth_price_data(100_000_000_000, 1, 1),
            owner: env.pyth_owner,
            executable: false,
            rent_epoch: 0,
        }
        .into(),
    );
    let mut ix = env.withdraw_ix(&t, &w.pubkey(), USDC, false);
    ix.accounts
        .push(solana_sdk::instruction::AccountMeta::new_readonly(env.market, false));
    ix.accounts
        .push(solana_sdk::instruction::AccountMeta::new_readonly(other_oracle, false));
    assert_eq!(
        program_error(env.send(vec![ix], &[&w]).await.unwrap_err()),
        custom(ErrorCode::InvalidOracle)
    );
}

#[tokio::test]
async fn a_socialized_loss_is_paid_back_to_the_pool_by_the_paying_side_only() {
    let mut env = Env::start().await;
    // One account that goes bankrupt, and a balanced book of third parties: 100 long, 100 short.
    let (t, w) = env.funded_trader(1_000 * USDC).await;
    let mut others = Vec::new();
    for (nonce, base) in [(1u64, 40 * BASE), (1, 60 * BASE), (1, -50 * BASE), (1, -50 * BASE)] {
        let (o, ow) = env.funded_trader(10_000 * USDC).await;
        env.fill(
            &env.order(&o, base, if base > 0 { 101 * PRICE } else { 99 * PRICE }, nonce, false),
            &ow,
        )
        .await
        .unwrap();
        others.push(o);
    }
    env.fill(&env.order(&t, 150 * BASE, 102 * PRICE, 1, false), &w)
        .await
        .unwrap();

    // -8 %: the 150 SOL long on 1,000 USDC is bankrupt once liquidated (and the TWAP stays within 10 %).
    env.advance(2, 1).await;
    env.set_price(92_0000_0000, 1_000_000).await;
    while env.liquidate(&t).await.is_ok() {
        env.advance(1, 1).await;
        env.set_price(92_0000_0000, 1_000_000).await;
    }
    assert!(
        env.account::<User>(&t.user).await.collateral < 0,
        "the account is bankrupt"
    );
    let market: Market = env.account(&env.market.clone()).await;
    assert_eq!(
        market.long_open_interest, market.short_open_interest,
        "the third parties' book is balanced"
    );
    let pool_before = env.account::<GlobalState>(&env.global.clone()).await.pnl_pool;
    let insurance = env.account::<GlobalState>(&env.global.clone()).await.insurance_fund;
    let deficit = -env.account::<User>(&t.user).await.collateral;
    env.resolve_bankruptcy(&t).await.unwrap();
    let socialized = i64::try_from(deficit as u64 - insurance).unwrap();
    assert!(socialized > 0, "insurance could not pay it all");
    let pool_after_loss = env.account::<GlobalState>(&env.global.clone()).await.pnl_pool;
    assert_eq!(pool_after_loss, pool_before - socialized, "the pool advanced the loss");

    // Everyone settles (a 1-unit withdrawal settles every position of the account).
    let collateral_before: Vec<i64> = {
        let mut v = Vec::new();
        for o in &others {
            v.push(env.account::<User>(&o.user).await.collateral);
        }
        v
    };
    for o in &others {
        let ow = o.wallet.insecure_clone();
        env.send(vec![env.withdraw_ix(o, &ow.pubkey(), 1, true)], &[&ow])
            .await
            .unwrap();
    }
    let mut paid_by_longs = 0i64;
    for (i, o) in others.iter().enumerate() {
        let paid = collateral_before[i] - 1 - env.account::<User>(&o.user).await.collateral;
        if i < 2 {
            assert!(paid > 0, "long {i} pays its share");
            paid_by_longs += paid;
        } else {
            assert_eq!(paid, 0, "short {i}: the other side's collateral does not move");
        }
    }
    let recovered = env.account::<GlobalState>(&env.global.clone()).await.pnl_pool - pool_after_loss;
    assert_eq!(recovered, paid_by_longs, "what the longs paid went to the pool");
    // Each payer's share is rounded up: the pool gets the loss back to the base unit, at most one unit per payer more.
    assert!(
        recovered >= socialized && recovered <= socialized + 2,
        "recovered {recovered} of {socialized}"
    );
    let all: Vec<&Trader> = std::iter::once(&t).chain(others.iter()).collect();
    env.assert_conserved(&all).await;
}

#[tokio::test]
async fn a_paused_market_takes_only_closes_at_a_reliable_price_liquidates_nobody_and_accrues_no_funding() {
    let mut env = Env::start().await;
    let (t, w) = env.funded_trader(1_000 * USDC).await;
    env.fill(&env.order(&t, 50 * BASE, 101 * PRICE, 1, false), &w)
        .await
        .unwrap();
    env.set_paused(true).await.unwrap();

    // No fill that adds risk.
    assert_eq!(
        program_error(
            env.fill(&env.order(&t, 10 * BASE, 101 * PRICE, 2, false), &w)
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::MarketPaused)
    );
    // No funding while paused, due or not.
    env.advance(10, 3_601).await;
    env.set_price(100_0000_0000, 1_000_000).await;
    assert_eq!(
        program_error(env.update_funding().await.unwrap_err()),
        custom(ErrorCode::MarketPaused)
    );
    // Nobody is liquidated at the paused market's price, even below maintenance.
    env.advance(1, 1).await;
    env.set_price(81_0000_0000, 1_000_000).await;
    assert_eq!(
        program_error(env.liquidate(&t).await.unwrap_err()),
        custom(ErrorCode::MarketPaused)
    );
    // A reduce-only close needs a reliable price: refused on a stale one, taken on a fresh one (far from its TWAP).
    env.advance(60, 1).await;
    let slot = env.slot().await;
    env.set_price_at(81_0000_0000, 1_000_000, slot - 40).await;
    assert_eq!(
        program_error(env.fill(&env.order(&t, -10 * BASE, 0, 3, true), &w).await.unwrap_err()),
        custom(ErrorCode::OracleStale)
    );
    env.set_price(81_0000_0000, 1_000_000).await;
    env.fill(&env.order(&t, -10 * BASE, 0, 4, true), &w).await.unwrap();
    assert_eq!(env.account::<User>(&t.user).await.positions[0].base, 40 * BASE);

    // Resuming restarts the funding period: the paused hour accrues nothing.
    let before: Market = env.account(&env.market.clone()).await;
    env.set_paused(false).await.unwrap();
    assert_eq!(
        program_error(env.update_funding().await.unwrap_err()),
        custom(ErrorCode::FundingNotDue)
    );
    let after: Market = env.account(&env.market.clone()).await;
    assert_eq!(
        after.cumulative_funding_index_long,
        before.cumulative_funding_index_long
    );
    env.assert_conserved(&[&t]).await;
}

#[tokio::test]
async fn winners_are_paid_only_from_what_the_pnl_pool_holds() {
    let mut env = Env::start().await;
    let (winner, ww) = env.funded_trader(1_000 * USDC).await;
    let (loser, lw) = env.funded_trader(1_000 * USDC).await;
    env.fill(&env.order(&winner, 10 * BASE, 101 * PRICE, 1, false), &ww)
        .await
        .unwrap();
    env.fill(&env.order(&loser, -10 * BASE, 99 * PRICE, 1, false), &lw)
        .await
        .unwrap();
    assert_eq!(
        env.account::<GlobalState>(&env.global.clone()).await.pnl_pool,
        0,
        "nobody has lost yet"
    );

    // +10 %: the winner closes first; the pool holds nothing, so the profit waits as unsettled PnL.
    env.advance(2, 1).await;
    env.set_price(110_0000_0000, 1_000_000).await;
    let before = env.account::<User>(&winner.user).await.collateral;
    env.fill(&env.order(&winner, -10 * BASE, 0, 2, true), &ww)
        .await
        .unwrap();
    let w: User = env.account(&winner.user).await;
    assert!(
        w.unsettled_pnl > 90 * USDC,
        "the profit is owed, not paid: {}",
        w.unsettled_pnl
    );
    assert!(w.collateral < before, "only the fee moved the collateral");
    // Not withdrawable: beyond the collateral is refused.
    let too_much = env.withdraw_ix(&winner, &ww.pubkey(), w.collateral as u64 + 1, false);
    assert!(env.send(vec![too_much], &[&ww]).await.is_err());

    // The loser closes: the pool refills; the winner's next settlement (any withdrawal) is paid from it.
    env.fill(&env.order(&loser, 10 * BASE, 200 * PRICE, 2, true), &lw)
        .await
        .unwrap();
    let pool = env.account::<GlobalState>(&env.global.clone()).await.pnl_pool;
    assert!(pool > 0);
    env.send(vec![env.withdraw_ix(&winner, &ww.pubkey(), 1, false)], &[&ww])
        .await
        .unwrap();
    let after: User = env.account(&winner.user).await;
    let paid = (after.collateral + 1 - w.collateral) as u64;
    assert_eq!(
        paid,
        (w.unsettled_pnl).min(pool as u64),
        "paid what the pool held, up to the claim"
    );
    assert_eq!(after.unsettled_pnl, w.unsettled_pnl - paid);
    assert!(
        env.account::<GlobalState>(&env.global.clone()).await.pnl_pool >= 0,
        "the pool never pays from deposits"
    );
    env.assert_conserved(&[&winner, &loser]).await;
}

#[tokio::test]
async fn a_bankrupt_accounts_unsettled_pnl_covers_its_deficit_first() {
    let mut env = Env::start().await;
    let (t, w) = env.funded_trader(1_000 * USDC).await;
    // A profit the empty pool cannot pay: it waits as unsettled PnL.
    env.fill(&env.order(&t, 10 * BASE, 101 * PRICE, 1, false), &w)
        .await
        .unwrap();
    env.advance(2, 1).await;
    env.set_price(105_0000_0000, 1_000_000).await;
    env.fill(&env.order(&t, -10 * BASE, 0, 2, true), &w).await.unwrap();
    let owed = env.account::<User>(&t.user).await.unsettled_pnl;
    assert!(owed > 40 * USDC);
    // Then a position the next gap makes bankrupt.
    env.fill(&env.order(&t, 150 * BASE, 200 * PRICE, 3, false), &w)
        .await
        .unwrap();
    env.advance(2, 1).await;
    env.set_price(96_0000_0000, 1_000_000).await;
    while env.liquidate(&t).await.is_ok() {
        env.advance(1, 1).await;
        env.set_price(96_0000_0000, 1_000_000).await;
    }
    let u: User = env.account(&t.user).await;
    assert!(u.collateral < 0 && u.open_positions().next().is_none(), "bankrupt");
    let deficit = (-u.collateral) as u64;
    let fund_before = env.account::<GlobalState>(&env.global.clone()).await.insurance_fund;
    env.resolve_bankruptcy(&t).await.unwrap();
    let after: User = env.account(&t.user).await;
    assert_eq!(after.collateral, 0);
    assert_eq!(
        after.unsettled_pnl,
        u.unsettled_pnl - u.unsettled_pnl.min(deficit),
        "the claim covered the deficit first"
    );
    let fund_after = env.account::<GlobalState>(&env.global.clone()).await.insurance_fund;
    assert_eq!(
        fund_before - fund_after,
        (deficit - u.unsettled_pnl.min(deficit)).min(fund_before),
        "insurance paid only the rest"
    );
    env.assert_conserved(&[&t]).await;
}

#[tokio::test]
async fn the_admin_rotates_the_keeper_and_itself_and_the_old_keys_are_refused() {
    let mut env = Env::start().await;
    let (t, w) = env.funded_trader(1_000 * USDC).await;
    let (old_admin, old_keeper) = (env.admin.insecure_clone(), env.keeper.insecure_clone());
    let (new_admin, new_keeper) = (Keypair::new(), Keypair::new());
    for k in [&new_admin, &new_keeper] {
        env.airdrop(&k.pubkey(), 1_000_000_000).await;
    }

    // Nobody but the admin rotates, and not to an empty key.
    assert_eq!(
        program_error(
            env.set_authorities(&new_admin, new_admin.pubkey(), new_keeper.pubkey())
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::Unauthorized)
    );
    assert_eq!(
        program_error(
            env.set_authorities(&old_admin, Pubkey::default(), new_keeper.pubkey())
                .await
                .unwrap_err()
        ),
        custom(ErrorCode::InvalidAuthority)
    );
    env.set_authorities(&old_admin, new_admin.pubkey(), new_keeper.pubkey())
        .await
        .unwrap();
    let global: GlobalState = env.account(&env.global.clone()).await;
    assert_eq!((global.admin, global.keeper), (new_admin.pubkey(), new_keeper.pubkey()));

    // The old keeper's fill is refused; the new keeper's lands.
    let order = env.order(&t, BASE, 101 * PRICE, 1, false);
    let ixs = env.fill_ixs(&order, &w, &old_keeper.pubkey());
    assert_eq!(
        program_error(env.send(ixs, &[&old_keeper]).await.unwrap_err()),
        custom(ErrorCode::Unauthorized)
    );
    let ixs = env.fill_ixs(&order, &w, &new_keeper.pubkey());
    env.send(ixs, &[&new_keeper]).await.unwrap();
    assert_eq!(env.account::<User>(&t.user).await.positions[0].base, BASE);

    // The old admin can no longer pause the market; the new one can.
    assert_eq!(
        program_error(env.set_paused(true).await.unwrap_err()),
        custom(ErrorCode::Unauthorized)
    );
    env.admin = new_admin.insecure_clone();
    env.set_paused(true).await.unwrap();
    assert!(env.account::<Market>(&env.market.clone()).await.paused);
}
