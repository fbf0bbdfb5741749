//! A real bank (solana-program-test) with quantdesk-perp running natively, SPL Token, a USDC mint,
//! hand-built Pyth v2 price accounts, and helpers to drive every instruction.
#![allow(dead_code)]
// solana-sdk 2.x marks system_instruction deprecated in favour of a crate the bank does not use yet.
#![allow(deprecated)]
use anchor_lang::{AccountDeserialize, InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use quantdesk_perp::{accounts, instruction, state::*};
use solana_program_test::{processor, BanksClientError, ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::{Account, AccountSharedData},
    clock::Clock,
    instruction::{AccountMeta, Instruction, InstructionError},
    program_pack::Pack,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    system_instruction, sysvar,
    transaction::{Transaction, TransactionError},
};

pub const USDC: u64 = 1_000_000;
pub const BASE: i64 = 1_000_000_000;
pub const PRICE: u64 = 1_000_000;
pub const PYTH_ACCOUNT_LEN: usize = 3312;

/// Anchor's entry point ties its accounts to one lifetime; the bank's builtin signature does not.
fn entry(
    program_id: &Pubkey,
    accounts: &[solana_sdk::account_info::AccountInfo],
    data: &[u8],
) -> solana_sdk::entrypoint::ProgramResult {
    let accounts = unsafe {
        std::mem::transmute::<&[solana_sdk::account_info::AccountInfo], &[solana_sdk::account_info::AccountInfo]>(
            accounts,
        )
    };
    quantdesk_perp::entry(program_id, accounts, data)
}

pub fn sol_perp_config() -> MarketConfig {
    MarketConfig {
        initial_margin_bps: 500,
        maintenance_margin_bps: 300,
        imf_bps_per_sqrt_unit: 1,
        taker_fee_bps: 5,
        maker_rebate_bps: 1,
        liquidation_fee_bps: 100,
        max_liquidation_fraction_bps: 2_500,
        liquidation_buffer_bps: 50,
        skew_scale_base: 2_000_000 * BASE as u64,
        funding_rate_cap: 1_250_000,
        max_open_interest_base: 500_000 * BASE as u64,
        oracle_max_stale_slots: 25,
        oracle_max_confidence_bps: 200,
        oracle_max_twap_deviation_bps: 1_000,
    }
}

/// Bytes of a Pyth v2 price account (the layout @pythnetwork/client parses), expo -8.
pub fn pyth_price_data(price_usd_e8: i64, conf_e8: u64, publish_slot: u64) -> Vec<u8> {
    let mut d = vec![0u8; PYTH_ACCOUNT_LEN];
    d[0..4].copy_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    d[4..8].copy_from_slice(&2u32.to_le_bytes());
    d[8..12].copy_from_slice(&3u32.to_le_bytes());
    d[12..16].copy_from_slice(&(PYTH_ACCOUNT_LEN as u32).to_le_bytes());
    d[16..20].copy_from_slice(&1u32.to_le_bytes()); // price type: price
    d[20..24].copy_from_slice(&(-8i32).to_le_bytes());
    d[32..40].copy_from_slice(&publish_slot.to_le_bytes());
    d[40..48].copy_from_slice(&publish_slot.to_le_bytes());
    d[208..216].copy_from_slice(&price_usd_e8.to_le_bytes());
    d[216..224].copy_from_slice(&conf_e8.to_le_bytes());
    d[224..228].copy_from_slice(&1u32.to_le_bytes()); // status: trading
    d[232..240].copy_from_slice(&publish_slot.to_le_bytes());
    d
}

pub fn custom(code: quantdesk_perp::errors::ErrorCode) -> u32 {
    6000 + code as u32
}

pub struct Env {
    pub ctx: ProgramTestContext,
    pub admin: Keypair,
    pub keeper: Keypair,
    pub mint: Keypair,
    pub pyth_owner: Pubkey,
    pub oracle: Pubkey,
    pub global: Pubkey,
    pub vault: Pubkey,
    pub market: Pubkey,
}

pub struct Trader {
    pub wallet: Keypair,
    pub user: Pubkey,
    pub token: Pubkey,
}

pub fn pda(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &quantdesk_perp::ID).0
}

impl Env {
    pub async fn start() -> Env {
        let mut pt = ProgramTest::new("quantdesk_perp", quantdesk_perp::ID, processor!(entry));
        pt.prefer_bpf(false);
        let pyth_owner = Pubkey::new_unique();
        let oracle = Pubkey::new_unique();
        pt.add_account(
            oracle,
            Account {
                lamports: 1_000_000_000,
                data: pyth_price_data(100_0000_0000, 1_000_000, 1),
                owner: pyth_owner,
                executable: false,
                rent_epoch: 0,
            },
        );
        let ctx = pt.start_with_context().await;
        let mut env = Env {
            ctx,
            admin: Keypair::new(),
            keeper: Keypair::new(),
            mint: Keypair::new(),
            pyth_owner,
            oracle,
            global: pda(&[GLOBAL_SEED]),
            vault: pda(&[VAULT_SEED]),
            market: pda(&[MARKET_SEED, &0u16.to_le_bytes()]),
        };
        let (admin, keeper) = (env.admin.pubkey(), env.keeper.pubkey());
        env.airdrop(&admin, 10_000_000_000).await;
        env.airdrop(&keeper, 1_000_000_000).await;
        env.create_mint().await;
        env.send(
            vec![env.ix(
                accounts::Initialize {
                    admin,
                    global: env.global,
                    collateral_mint: env.mint.pubkey(),
                    vault: env.vault,
                    token_program: spl_token::ID,
                    system_program: solana_sdk::system_program::ID,
                },
                instruction::Initialize { keeper },
            )],
            &[&env.admin.insecure_clone()],
        )
        .await
        .unwrap();
        env.set_price(100_0000_0000, 1_000_000).await;
        env.send(
            vec![env.ix(
                accounts::InitMarket {
                    admin,
                    global: env.global,
                    market: env.market,
                    oracle: env.oracle,
                    system_program: solana_sdk::system_program::ID,
                },
                instruction::InitMarket {
                    market_index: 0,
                    config: sol_perp_config(),
                },
            )],
            &[&env.admin.insecure_clone()],
        )
        .await
        .unwrap();
        env
    }

    pub fn ix(&self, accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
        Instruction {
            program_id: quantdesk_perp::ID,
            accounts: accounts.to_account_metas(None),
            data: data.data(),
        }
    }

    /// Sends instructions paid by the first signer; a fresh blockhash each time so equal transactions differ.
    pub async fn send(&mut self, ixs: Vec<Instruction>, signers: &[&Keypair]) -> Result<(), BanksClientError> {
        let blockhash = self.ctx.get_new_latest_blockhash().await.unwrap();
        let tx = Transaction::new_signed_with_payer(&ixs, Some(&signers[0].pubkey()), signers, blockhash);
        self.ctx.banks_client.process_transaction(tx).await
    }

    pub async fn airdrop(&mut self, to: &Pubkey, lamports: u64) {
        let payer = self.ctx.payer.insecure_clone();
        let ix = system_instruction::transfer(&payer.pubkey(), to, lamports);
        self.send(vec![ix], &[&payer]).await.unwrap();
    }

    async fn create_mint(&mut self) {
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let admin = self.admin.insecure_clone();
        let mint = self.mint.insecure_clone();
        let ixs = vec![
            system_instruction::create_account(
                &admin.pubkey(),
                &mint.pubkey(),
                rent.minimum_balance(spl_token::state::Mint::LEN),
                spl_token::state::Mint::LEN as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_mint2(&spl_token::ID, &mint.pubkey(), &admin.pubkey(), None, 6).unwrap(),
        ];
        self.send(ixs, &[&admin, &mint]).await.unwrap();
    }

    pub async fn slot(&mut self) -> u64 {
        self.ctx.banks_client.get_root_slot().await.unwrap()
    }

    pub async fn clock(&mut self) -> Clock {
        self.ctx.banks_client.get_sysvar::<Clock>().await.unwrap()
    }

    /// Writes the oracle as a Pyth publisher would, published at the current slot.
    pub async fn set_price(&mut self, price_e8: i64, conf_e8: u64) {
        let slot = self.clock().await.slot;
        self.set_price_at(price_e8, conf_e8, slot).await;
    }

    pub async fn set_price_at(&mut self, price_e8: i64, conf_e8: u64, publish_slot: u64) {
        let account = Account {
            lamports: 1_000_000_000,
            data: pyth_price_data(price_e8, conf_e8, publish_slot),
            owner: self.pyth_owner,
            executable: false,
            rent_epoch: 0,
        };
        self.ctx.set_account(&self.oracle, &AccountSharedData::from(account));
    }

    pub async fn advance(&mut self, slots: u64, secs: i64) {
        let mut clock = self.clock().await;
        let target = clock.slot + slots.max(1);
        self.ctx.warp_to_slot(target).unwrap();
        clock = self.clock().await;
        clock.unix_timestamp += secs;
        self.ctx.set_sysvar(&clock);
    }

    pub async fn trader(&mut self, usdc: u64) -> Trader {
        let wallet = Keypair::new();
        self.airdrop(&wallet.pubkey(), 1_000_000_000).await;
        let token = Keypair::new();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let admin = self.admin.insecure_clone();
        let ixs = vec![
            system_instruction::create_account(
                &admin.pubkey(),
                &token.pubkey(),
                rent.minimum_balance(spl_token::state::Account::LEN),
                spl_token::state::Account::LEN as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_account3(
                &spl_token::ID,
                &token.pubkey(),
                &self.mint.pubkey(),
                &wallet.pubkey(),
            )
            .unwrap(),
            spl_token::instruction::mint_to(
                &spl_token::ID,
                &self.mint.pubkey(),
                &token.pubkey(),
                &admin.pubkey(),
                &[],
                usdc,
            )
            .unwrap(),
        ];
        self.send(ixs, &[&admin, &token]).await.unwrap();
        let user = pda(&[USER_SEED, wallet.pubkey().as_ref(), &0u16.to_le_bytes()]);
        let init = self.ix(
            accounts::InitUser {
                authority: wallet.pubkey(),
                user,
                system_program: solana_sdk::system_program::ID,
            },
            instruction::InitUser { sub_account_id: 0 },
        );
        self.send(vec![init], &[&wallet]).await.unwrap();
        Trader {
            wallet,
            user,
            token: token.pubkey(),
        }
    }

    /// A trader who has deposited all `usdc` they hold, and their wallet (the signer of their orders).
    pub async fn funded_trader(&mut self, usdc: u64) -> (Trader, Keypair) {
        let t = self.trader(usdc).await;
        let wallet = t.wallet.insecure_clone();
        self.send(vec![self.deposit_ix(&t, &wallet.pubkey(), usdc)], &[&wallet])
            .await
            .unwrap();
        (t, wallet)
    }

    pub fn deposit_ix(&self, t: &Trader, signer: &Pubkey, amount: u64) -> Instruction {
        self.ix(
            accounts::Deposit {
                authority: *signer,
                global: self.global,
                user: t.user,
                user_token: t.token,
                vault: self.vault,
                token_program: spl_token::ID,
            },
            instruction::Deposit { amount },
        )
    }

    pub fn cancel_nonces_ix(&self, t: &Trader, signer: &Pubkey, nonces: Vec<u64>) -> Instruction {
        self.ix(
            accounts::CancelOrderNonces {
                authority: *signer,
                user: t.user,
            },
            instruction::CancelOrderNonces { nonces },
        )
    }

    pub fn withdraw_ix(&self, t: &Trader, signer: &Pubkey, amount: u64, with_market: bool) -> Instruction {
        let mut ix = self.ix(
            accounts::Withdraw {
                authority: *signer,
                global: self.global,
                user: t.user,
                user_token: t.token,
                vault: self.vault,
                token_program: spl_token::ID,
            },
            instruction::Withdraw { amount },
        );
        if with_market {
            ix.accounts.push(AccountMeta::new_readonly(self.market, false));
            ix.accounts.push(AccountMeta::new_readonly(self.oracle, false));
        }
        ix
    }

    pub fn order(&self, t: &Trader, base_amount: i64, limit_price: u64, nonce: u64, reduce_only: bool) -> OrderMessage {
        OrderMessage {
            user: t.user,
            market_index: 0,
            base_amount,
            limit_price,
            reduce_only,
            nonce,
            expiry_ts: i64::MAX,
        }
    }

    /// The Ed25519 verification instruction carrying `order` signed by `signer`, then fill_order.
    pub fn fill_ixs(&self, order: &OrderMessage, signer: &Keypair, keeper: &Pubkey) -> Vec<Instruction> {
        let message = order.to_signed_bytes();
        let signature: [u8; 64] = signer.sign_message(&message).as_ref().try_into().unwrap();
        let ed25519 = solana_ed25519_program::new_ed25519_instruction_with_signature(
            &message,
            &signature,
            &signer.pubkey().to_bytes(),
        );
        let fill = self.ix(
            accounts::FillOrder {
                keeper: *keeper,
                global: self.global,
                user: order.user,
                market: self.market,
                oracle: self.oracle,
                instructions: sysvar::instructions::ID,
            },
            instruction::FillOrder {},
        );
        vec![ed25519, fill]
    }

    pub async fn fill(&mut self, order: &OrderMessage, signer: &Keypair) -> Result<(), BanksClientError> {
        let keeper = self.keeper.insecure_clone();
        let ixs = self.fill_ixs(order, signer, &keeper.pubkey());
        self.send(ixs, &[&keeper]).await
    }

    /// The admin pauses or resumes the market.
    pub async fn set_paused(&mut self, paused: bool) -> Result<(), BanksClientError> {
        let admin = self.admin.insecure_clone();
        let ix = self.ix(
            accounts::AdminMarket {
                admin: admin.pubkey(),
                global: self.global,
                market: self.market,
            },
            instruction::SetMarketPaused { paused },
        );
        self.send(vec![ix], &[&admin]).await
    }

    /// Writes a Switchboard on-demand pull feed (owned by the on-demand program, as the localnet writes it): a
    /// current result of `price` with standard deviation `std_dev` (PRICE_PRECISION) from `samples` samples
    /// at `slot`.
    pub fn set_feed(&mut self, feed: Pubkey, price: u64, std_dev: u64, slot: u64, samples: u8) {
        use quantdesk_localnet::switchboard::{feed_account_data, FROM_PRICE};
        let account = Account {
            lamports: 1_000_000_000,
            data: feed_account_data(
                i128::from(price) * FROM_PRICE,
                i128::from(std_dev) * FROM_PRICE,
                slot,
                samples,
                0,
            ),
            owner: quantdesk_perp::controller::oracle::SWITCHBOARD_ON_DEMAND_ID,
            executable: false,
            rent_epoch: 0,
        };
        self.ctx.set_account(&feed, &AccountSharedData::from(account));
    }

    /// `signer` (the admin, or someone who is not) points the market at `oracle`, read as `source`.
    pub async fn set_market_oracle(
        &mut self,
        signer: &Keypair,
        oracle: Pubkey,
        source: OracleSource,
    ) -> Result<(), BanksClientError> {
        let ix = self.ix(
            accounts::SetMarketOracle {
                admin: signer.pubkey(),
                global: self.global,
                market: self.market,
                oracle,
            },
            instruction::SetMarketOracle { source },
        );
        self.send(vec![ix], &[signer]).await
    }

    /// `signer` (the admin, or someone who is not) names the next admin and keeper.
    pub async fn set_authorities(
        &mut self,
        signer: &Keypair,
        admin: Pubkey,
        keeper: Pubkey,
    ) -> Result<(), BanksClientError> {
        let ix = self.ix(
            accounts::SetAuthorities {
                admin: signer.pubkey(),
                global: self.global,
            },
            instruction::SetAuthorities { admin, keeper },
        );
        self.send(vec![ix], &[signer]).await
    }

    pub async fn update_funding(&mut self) -> Result<(), BanksClientError> {
        let payer = self.ctx.payer.insecure_clone();
        let ix = self.ix(
            accounts::UpdateFunding {
                market: self.market,
                oracle: self.oracle,
            },
            instruction::UpdateFunding {},
        );
        self.send(vec![ix], &[&payer]).await
    }

    /// One step of the account's current liquidation episode (as the keeper's workflow names it).
    pub async fn liquidate(&mut self, t: &Trader) -> Result<(), BanksClientError> {
        let user = self.account::<User>(&t.user).await;
        self.liquidate_step(t, user.current_liquidation_seq(), user.next_liquidation_step())
            .await
    }

    /// The next step of episode `liquidation_seq`, as the keeper names it.
    pub async fn liquidate_in_episode(&mut self, t: &Trader, liquidation_seq: u64) -> Result<(), BanksClientError> {
        let step = self.account::<User>(&t.user).await.next_liquidation_step();
        self.liquidate_step(t, liquidation_seq, step).await
    }

    pub async fn liquidate_step(
        &mut self,
        t: &Trader,
        liquidation_seq: u64,
        step: u16,
    ) -> Result<(), BanksClientError> {
        let keeper = self.keeper.insecure_clone();
        let ix = self.ix(
            accounts::Liquidate {
                keeper: keeper.pubkey(),
                global: self.global,
                user: t.user,
                market: self.market,
                oracle: self.oracle,
            },
            instruction::Liquidate { liquidation_seq, step },
        );
        self.send(vec![ix], &[&keeper]).await
    }

    pub async fn resolve_bankruptcy(&mut self, t: &Trader) -> Result<(), BanksClientError> {
        let keeper = self.keeper.insecure_clone();
        let ix = self.ix(
            accounts::ResolveBankruptcy {
                keeper: keeper.pubkey(),
                global: self.global,
                user: t.user,
                market: self.market,
            },
            instruction::ResolveBankruptcy {},
        );
        self.send(vec![ix], &[&keeper]).await
    }

    pub async fn account<T: AccountDeserialize>(&mut self, key: &Pubkey) -> T {
        let acc = self
            .ctx
            .banks_client
            .get_account(*key)
            .await
            .unwrap()
            .expect("account exists");
        T::try_deserialize(&mut acc.data.as_slice()).unwrap()
    }

    pub async fn token_balance(&mut self, key: &Pubkey) -> u64 {
        let acc = self.ctx.banks_client.get_account(*key).await.unwrap().unwrap();
        spl_token::state::Account::unpack(&acc.data).unwrap().amount
    }

    /// vault balance = sum(collateral) + insurance fund + PnL pool, to the base unit.
    pub async fn assert_conserved(&mut self, traders: &[&Trader]) {
        let vault = i128::from(self.token_balance(&self.vault.clone()).await);
        let global: GlobalState = self.account(&self.global.clone()).await;
        let mut books = i128::from(global.insurance_fund) + i128::from(global.pnl_pool);
        for t in traders {
            let user: User = self.account(&t.user).await;
            books += i128::from(user.collateral);
        }
        assert_eq!(
            vault, books,
            "vault {vault} != collateral + insurance + pnl pool {books}"
        );
    }
}

pub fn program_error(err: BanksClientError) -> u32 {
    match err.unwrap() {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => code,
        other => panic!("expected a program error, got {other:?}"),
    }
}
