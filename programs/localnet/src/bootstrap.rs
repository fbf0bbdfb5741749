//! A fresh chain made ready to trade: a USDC mint, the program's global state and vault, and the listed
//! markets with their oracles (Pyth price accounts, or Switchboard on-demand pull feeds).
use crate::chain::{Chain, SendError};
use crate::markets::listed_markets;
use crate::{pyth, switchboard};
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::associated_token::{get_associated_token_address, spl_associated_token_account};
use anchor_spl::token::spl_token;
use quantdesk_perp::controller::oracle::SWITCHBOARD_ON_DEMAND_ID;
use quantdesk_perp::state::{OracleSource, GLOBAL_SEED, MARKET_SEED, VAULT_SEED};
use serde::Serialize;
use solana_sdk::{
    account::Account,
    instruction::Instruction,
    program_pack::Pack,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    system_instruction,
};

/// Owner of the hand-written Pyth accounts: Pyth's mainnet oracle program id.
pub const PYTH_ORACLE_PROGRAM: Pubkey = solana_sdk::pubkey!("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH");
pub const USDC_DECIMALS: u8 = 6;

#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct MarketAddresses {
    pub market_index: u16,
    pub symbol: String,
    pub market: String,
    pub oracle: String,
    /// `pyth` or `switchboard`.
    pub oracle_source: String,
}

/// What clients need to find everything. The keypairs are development keys of this localnet only.
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Bootstrap {
    pub program_id: String,
    pub usdc_mint: String,
    pub global: String,
    pub vault: String,
    pub pyth_program: String,
    pub markets: Vec<MarketAddresses>,
    pub admin_keypair: Vec<u8>,
    pub keeper_keypair: Vec<u8>,
}

pub struct Dev {
    pub mint: Keypair,
    pub admin: Keypair,
    pub keeper: Keypair,
    pub oracles: Vec<(u16, Pubkey, OracleSource)>,
    pub bootstrap: Bootstrap,
}

fn pda(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &quantdesk_perp::ID).0
}

fn program_ix(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: quantdesk_perp::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

pub async fn bootstrap(chain: &mut Chain) -> Result<Dev, SendError> {
    let payer = chain.payer();
    let (mint, admin, keeper) = (Keypair::new(), Keypair::new(), Keypair::new());
    chain.airdrop(&admin.pubkey(), 100_000_000_000).await?;
    chain.airdrop(&keeper.pubkey(), 100_000_000_000).await?;
    let mint_rent = chain.rent_exempt_minimum(spl_token::state::Mint::LEN).await;
    chain
        .execute(
            &[
                system_instruction::create_account(
                    &payer.pubkey(),
                    &mint.pubkey(),
                    mint_rent,
                    spl_token::state::Mint::LEN as u64,
                    &spl_token::ID,
                ),
                spl_token::instruction::initialize_mint2(
                    &spl_token::ID,
                    &mint.pubkey(),
                    &payer.pubkey(),
                    None,
                    USDC_DECIMALS,
                )
                .unwrap(),
            ],
            &[&payer, &mint],
        )
        .await?;
    let (global, vault) = (pda(&[GLOBAL_SEED]), pda(&[VAULT_SEED]));
    chain
        .execute(
            &[program_ix(
                quantdesk_perp::accounts::Initialize {
                    admin: admin.pubkey(),
                    global,
                    collateral_mint: mint.pubkey(),
                    vault,
                    token_program: spl_token::ID,
                    system_program: solana_sdk::system_program::ID,
                },
                quantdesk_perp::instruction::Initialize {
                    keeper: keeper.pubkey(),
                },
            )],
            &[&admin],
        )
        .await?;
    chain.known.extend([global, vault, mint.pubkey()]);

    let mut markets = Vec::new();
    let mut oracles = Vec::new();
    for listed in listed_markets() {
        let oracle = Keypair::new().pubkey();
        let source = listed.oracle_source;
        oracles.push((listed.market_index, oracle, source));
        write_price(
            chain,
            oracle,
            source,
            listed.initial_price,
            listed.initial_price / 2_000,
            0,
        )
        .await;
        let market = pda(&[MARKET_SEED, &listed.market_index.to_le_bytes()]);
        let mut ixs = vec![program_ix(
            quantdesk_perp::accounts::InitMarket {
                admin: admin.pubkey(),
                global,
                market,
                oracle,
                system_program: solana_sdk::system_program::ID,
            },
            quantdesk_perp::instruction::InitMarket {
                market_index: listed.market_index,
                config: listed.config,
            },
        )];
        // A market is listed on Pyth; one on Switchboard is then pointed at its feed (the program reads it first).
        if source != OracleSource::Pyth {
            ixs.push(program_ix(
                quantdesk_perp::accounts::SetMarketOracle {
                    admin: admin.pubkey(),
                    global,
                    market,
                    oracle,
                },
                quantdesk_perp::instruction::SetMarketOracle { source },
            ));
        }
        chain.execute(&ixs, &[&admin]).await?;
        markets.push(MarketAddresses {
            market_index: listed.market_index,
            symbol: listed.symbol,
            market: market.to_string(),
            oracle: oracle.to_string(),
            oracle_source: source_name(source).to_string(),
        });
    }
    let bootstrap = Bootstrap {
        program_id: quantdesk_perp::ID.to_string(),
        usdc_mint: mint.pubkey().to_string(),
        global: global.to_string(),
        vault: vault.to_string(),
        pyth_program: PYTH_ORACLE_PROGRAM.to_string(),
        markets,
        admin_keypair: admin.to_bytes().to_vec(),
        keeper_keypair: keeper.to_bytes().to_vec(),
    };
    Ok(Dev {
        mint,
        admin,
        keeper,
        oracles,
        bootstrap,
    })
}

pub fn source_name(source: OracleSource) -> &'static str {
    match source {
        OracleSource::Pyth => "pyth",
        OracleSource::SwitchboardOnDemand => "switchboard",
    }
}

/// Publishes a price (PRICE_PRECISION, 1e-6 USD) with its confidence to an oracle account of `source`,
/// `age_slots` in the past (0: now), as its publishers would: a Pyth aggregate (expo -8), or a Switchboard
/// pull feed's current result (18 decimals, the confidence as its standard deviation).
pub async fn write_price(
    chain: &mut Chain,
    oracle: Pubkey,
    source: OracleSource,
    price_e6: u64,
    confidence_e6: u64,
    age_slots: u64,
) {
    let clock = chain.clock().await;
    let slot = clock.slot.saturating_sub(age_slots);
    let (data, owner) = match source {
        OracleSource::Pyth => (
            pyth::price_account_data((price_e6 as i64) * 100, confidence_e6 * 100, slot, clock.unix_timestamp),
            PYTH_ORACLE_PROGRAM,
        ),
        OracleSource::SwitchboardOnDemand => (
            switchboard::feed_account_data(
                i128::from(price_e6) * switchboard::FROM_PRICE,
                i128::from(confidence_e6) * switchboard::FROM_PRICE,
                slot,
                1,
                clock.unix_timestamp,
            ),
            SWITCHBOARD_ON_DEMAND_ID,
        ),
    };
    let lamports = chain.rent_exempt_minimum(data.len()).await;
    chain.set_account(
        &oracle,
        Account {
            lamports,
            data,
            owner,
            executable: false,
            rent_epoch: 0,
        },
    );
}

/// Test USDC for a wallet: creates its associated token account if needed and mints into it.
pub async fn mint_usdc(chain: &mut Chain, dev: &Dev, owner: &Pubkey, amount: u64) -> Result<Pubkey, SendError> {
    let payer = chain.payer();
    let ata = get_associated_token_address(owner, &dev.mint.pubkey());
    let mut ixs = Vec::new();
    if chain.account(&ata).await.is_none() {
        ixs.push(
            spl_associated_token_account::instruction::create_associated_token_account(
                &payer.pubkey(),
                owner,
                &dev.mint.pubkey(),
                &spl_token::ID,
            ),
        );
    }
    ixs.push(
        spl_token::instruction::mint_to(&spl_token::ID, &dev.mint.pubkey(), &ata, &payer.pubkey(), &[], amount)
            .unwrap(),
    );
    chain.execute(&ixs, &[&payer]).await?;
    chain.known.insert(ata);
    Ok(ata)
}
