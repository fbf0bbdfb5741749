//! Many funded traders with open positions at once, for benchmarks at scale (a development control,
//! never part of a real cluster). Every trader goes through the real program: two transactions each,
//! the first signed by the trader (SOL, USDC account, init_user, deposit), the second by the keeper
//! (the trader's ed25519-signed order and fill_order), exactly as wallets and keepers send them.
use crate::bootstrap::{write_price, Dev};
use crate::chain::{Chain, SendError};
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::associated_token::{get_associated_token_address, spl_associated_token_account};
use anchor_spl::token::spl_token;
use quantdesk_perp::state::{OrderMessage, GLOBAL_SEED, MARKET_SEED, USER_SEED, VAULT_SEED};
use solana_sdk::{
    ed25519_instruction::new_ed25519_instruction_with_signature,
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    system_instruction, sysvar,
};

pub struct SeedSpec {
    pub market_index: u16,
    pub count: usize,
    /// USDC base units deposited by each trader.
    pub collateral: u64,
    /// Each trader's position (BASE_PRECISION, signed).
    pub base_amount: i64,
    /// Worst acceptable fill price of each order (PRICE_PRECISION).
    pub limit_price: u64,
    /// Published to the market's Pyth account before every batch, so fills see a fresh oracle.
    pub oracle_price: u64,
}

pub struct Seeded {
    pub wallet: Pubkey,
    pub user: Pubkey,
}

const LAMPORTS_PER_TRADER: u64 = 10_000_000;
/// Traders per fresh oracle publication (well inside the markets' staleness limit).
const BATCH: usize = 200;

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

pub async fn seed_traders(chain: &mut Chain, dev: &Dev, spec: &SeedSpec) -> Result<Vec<Seeded>, SendError> {
    let (oracle, source) = dev
        .oracles
        .iter()
        .find(|(i, _, _)| *i == spec.market_index)
        .map(|(_, o, source)| (*o, *source))
        .ok_or_else(|| SendError::Malformed(format!("no market {}", spec.market_index)))?;
    let payer = chain.payer();
    let (global, vault, market) = (
        pda(&[GLOBAL_SEED]),
        pda(&[VAULT_SEED]),
        pda(&[MARKET_SEED, &spec.market_index.to_le_bytes()]),
    );
    let mint = dev.mint.pubkey();
    let mut seeded = Vec::with_capacity(spec.count);
    for i in 0..spec.count {
        if i % BATCH == 0 {
            write_price(chain, oracle, source, spec.oracle_price, spec.oracle_price / 2_000, 0).await;
        }
        let wallet = Keypair::new();
        let owner = wallet.pubkey();
        let user = pda(&[USER_SEED, owner.as_ref(), &0u16.to_le_bytes()]);
        let ata = get_associated_token_address(&owner, &mint);
        chain
            .execute(
                &[
                    system_instruction::transfer(&payer.pubkey(), &owner, LAMPORTS_PER_TRADER),
                    spl_associated_token_account::instruction::create_associated_token_account(
                        &payer.pubkey(),
                        &owner,
                        &mint,
                        &spl_token::ID,
                    ),
                    spl_token::instruction::mint_to(&spl_token::ID, &mint, &ata, &payer.pubkey(), &[], spec.collateral)
                        .expect("mint_to"),
                    program_ix(
                        quantdesk_perp::accounts::InitUser {
                            authority: owner,
                            user,
                            system_program: solana_sdk::system_program::ID,
                        },
                        quantdesk_perp::instruction::InitUser { sub_account_id: 0 },
                    ),
                    program_ix(
                        quantdesk_perp::accounts::Deposit {
                            authority: owner,
                            global,
                            user,
                            user_token: ata,
                            vault,
                            token_program: spl_token::ID,
                        },
                        quantdesk_perp::instruction::Deposit {
                            amount: spec.collateral,
                        },
                    ),
                ],
                &[&payer, &wallet],
            )
            .await?;
        let expiry_ts = chain.clock().await.unix_timestamp + 3_600;
        let order = OrderMessage {
            user,
            market_index: spec.market_index,
            base_amount: spec.base_amount,
            limit_price: spec.limit_price,
            reduce_only: false,
            nonce: 1,
            expiry_ts,
        };
        let message = order.to_signed_bytes();
        let signature: [u8; 64] = wallet.sign_message(&message).into();
        let keeper = dev.keeper.insecure_clone();
        chain
            .execute(
                &[
                    new_ed25519_instruction_with_signature(&message, &signature, &owner.to_bytes()),
                    program_ix(
                        quantdesk_perp::accounts::FillOrder {
                            keeper: keeper.pubkey(),
                            global,
                            user,
                            market,
                            oracle,
                            instructions: sysvar::instructions::ID,
                        },
                        quantdesk_perp::instruction::FillOrder {},
                    ),
                ],
                &[&keeper],
            )
            .await?;
        chain.known.extend([owner, user, ata]);
        seeded.push(Seeded { wallet: owner, user });
    }
    Ok(seeded)
}
