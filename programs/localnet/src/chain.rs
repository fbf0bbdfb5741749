//! The bank: quantdesk-perp running natively (solana-program-test) with SPL Token, plus what an RPC
//! node remembers that a bank does not (processed transactions, the accounts that exist).
use solana_program_test::{processor, BanksClientError, ProgramTest, ProgramTestContext};
use solana_sdk::{
    account::{Account, AccountSharedData, ReadableAccount},
    clock::Clock,
    hash::Hash,
    pubkey::Pubkey,
    signature::{Keypair, Signature, Signer},
    system_instruction,
    transaction::{Transaction, TransactionError, VersionedTransaction},
};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

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

/// A bank with quantdesk-perp registered as a native builtin (SPL Token and ATA come with the bank).
pub fn program_test() -> ProgramTest {
    let mut pt = ProgramTest::new("quantdesk_perp", quantdesk_perp::ID, processor!(entry));
    pt.prefer_bpf(false);
    pt
}

#[derive(Clone, Debug)]
pub struct TxRecord {
    pub slot: u64,
    pub block_time: i64,
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    pub units: u64,
    /// What the last program to set it returned (sol_set_return_data), as RPC nodes report it.
    pub return_data: Option<(Pubkey, Vec<u8>)>,
    pub wire: Vec<u8>,
}

/// What a simulation reports.
pub struct Simulation {
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    pub units: u64,
    pub return_data: Option<(Pubkey, Vec<u8>)>,
}

#[derive(Debug)]
pub enum SendError {
    /// Rejected before landing (bad signature, unknown blockhash, preflight failure...).
    Rejected {
        err: TransactionError,
        logs: Vec<String>,
    },
    Malformed(String),
    Bank(String),
}

pub struct Chain {
    pub ctx: ProgramTestContext,
    pub known: BTreeSet<Pubkey>,
    pub txs: HashMap<Signature, TxRecord>,
    /// Owners seen by program-account scans. A non-system owner never changes while the account lives
    /// (programs cannot reassign their accounts), so a scan skips accounts another program owns unread.
    owners: std::sync::Mutex<HashMap<Pubkey, Pubkey>>,
    /// The bank's blockhashes in the order it registered them, for isBlockhashValid.
    ages: Arc<std::sync::Mutex<HashAges>>,
    /// The writable accounts of the executed transactions, the last WRITES_KEPT in order, the first
    /// numbered `writes_from`: a development control tells a watcher which accounts may have changed
    /// since it last looked (accounts written otherwise, by the controls, are not listed).
    writes: VecDeque<Pubkey>,
    writes_from: u64,
}

/// Writable accounts the chain remembers for `written_since` (about 32 MB).
const WRITES_KEPT: usize = 1 << 20;

/// Blockhashes a transaction's may be behind the latest and still be processed (the bank's
/// MAX_PROCESSING_AGE; also the lastValidBlockHeight offset getLatestBlockhash reports).
pub const BLOCKHASH_VALID_BLOCKS: u64 = 150;

/// The bank's blockhashes numbered in the order they appeared (a watcher reads the latest every 50 ms,
/// faster than the bank's 400 ms slots), so a blockhash's age is counted as the bank counts it. A hash
/// the watcher missed would only make others look younger: the answer errs towards "still valid".
#[derive(Default)]
pub struct HashAges {
    seq: u64,
    by_hash: HashMap<Hash, u64>,
}

impl HashAges {
    fn observe(&mut self, hash: Hash) {
        if self.by_hash.contains_key(&hash) {
            return;
        }
        self.seq += 1;
        self.by_hash.insert(hash, self.seq);
        if self.by_hash.len() > 4 * BLOCKHASH_VALID_BLOCKS as usize {
            let oldest = self.seq - 2 * BLOCKHASH_VALID_BLOCKS;
            self.by_hash.retain(|_, seq| *seq >= oldest);
        }
    }

    fn is_valid(&self, hash: &Hash) -> bool {
        self.by_hash
            .get(hash)
            .is_some_and(|seq| self.seq - seq <= BLOCKHASH_VALID_BLOCKS)
    }
}

impl Chain {
    pub async fn start() -> Chain {
        let ctx = program_test().start_with_context().await;
        let ages: Arc<std::sync::Mutex<HashAges>> = Default::default();
        let (watched, client) = (ages.clone(), ctx.banks_client.clone());
        tokio::spawn(async move {
            while let Ok(hash) = client.get_latest_blockhash().await {
                watched.lock().unwrap().observe(hash);
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        });
        let mut known = BTreeSet::new();
        known.insert(ctx.payer.pubkey());
        Chain {
            ctx,
            known,
            txs: HashMap::new(),
            owners: Default::default(),
            ages,
            writes: VecDeque::new(),
            writes_from: 0,
        }
    }

    pub fn payer(&self) -> Keypair {
        self.ctx.payer.insecure_clone()
    }

    /// The slot programs see (the Clock sysvar), which `advance` moves.
    pub async fn slot(&self) -> u64 {
        self.clock().await.slot
    }

    pub async fn block_height(&self) -> u64 {
        self.ctx.banks_client.get_root_block_height().await.unwrap_or_default()
    }

    pub async fn clock(&self) -> Clock {
        self.ctx.banks_client.get_sysvar::<Clock>().await.expect("clock sysvar")
    }

    pub async fn latest_blockhash(&self) -> Hash {
        let hash = self.ctx.banks_client.get_latest_blockhash().await.expect("blockhash");
        self.ages.lock().unwrap().observe(hash);
        hash
    }

    /// Whether a transaction with this blockhash may still be processed: at most BLOCKHASH_VALID_BLOCKS
    /// blockhashes behind the latest one.
    pub async fn is_blockhash_valid(&self, hash: &Hash) -> bool {
        self.latest_blockhash().await;
        self.ages.lock().unwrap().is_valid(hash)
    }

    pub async fn account(&self, key: &Pubkey) -> Option<Account> {
        self.ctx.banks_client.get_account(*key).await.ok().flatten()
    }

    pub fn set_account(&mut self, key: &Pubkey, account: Account) {
        self.ctx.set_account(key, &AccountSharedData::from(account));
        self.known.insert(*key);
        self.owners.lock().expect("owners").remove(key);
    }

    pub async fn rent_exempt_minimum(&self, len: usize) -> u64 {
        self.ctx
            .banks_client
            .get_rent()
            .await
            .expect("rent")
            .minimum_balance(len)
    }

    pub async fn simulate(&self, tx: VersionedTransaction) -> Result<Simulation, SendError> {
        let sim = self
            .ctx
            .banks_client
            .simulate_transaction(tx)
            .await
            .map_err(|e| SendError::Bank(e.to_string()))?;
        let (logs, units, return_data) = sim
            .simulation_details
            .map(|d| (d.logs, d.units_consumed, d.return_data.map(|r| (r.program_id, r.data))))
            .unwrap_or_default();
        let err = match sim.result {
            Some(Err(e)) => Some(e),
            _ => None,
        };
        Ok(Simulation {
            err,
            logs,
            units,
            return_data,
        })
    }

    /// Executes a signed transaction once: a signature already processed returns at once, unexecuted.
    pub async fn send(&mut self, wire: &[u8], skip_preflight: bool) -> Result<Signature, SendError> {
        let tx: VersionedTransaction = bincode::deserialize(wire).map_err(|e| SendError::Malformed(e.to_string()))?;
        let signature = *tx
            .signatures
            .first()
            .ok_or_else(|| SendError::Malformed("no signature".into()))?;
        if self.txs.contains_key(&signature) {
            return Ok(signature);
        }
        if !skip_preflight {
            if let Simulation {
                err: Some(err), logs, ..
            } = self.simulate(tx.clone()).await?
            {
                return Err(SendError::Rejected { err, logs });
            }
        }
        let keys: Vec<Pubkey> = tx.message.static_account_keys().to_vec();
        let writable: Vec<Pubkey> = (0..keys.len())
            .filter(|&i| tx.message.is_maybe_writable(i, None))
            .map(|i| keys[i])
            .collect();
        let outcome = self.ctx.banks_client.process_transaction_with_metadata(tx).await;
        let (err, logs, units, return_data) = match outcome {
            Ok(r) => {
                let (logs, units, return_data) = r
                    .metadata
                    .map(|m| {
                        (
                            m.log_messages,
                            m.compute_units_consumed,
                            m.return_data.map(|d| (d.program_id, d.data)),
                        )
                    })
                    .unwrap_or_default();
                match r.result {
                    Ok(()) => (None, logs, units, return_data.filter(|(_, data)| !data.is_empty())),
                    Err(e @ TransactionError::InstructionError(..)) => (Some(e), logs, units, None),
                    Err(e) => return Err(SendError::Rejected { err: e, logs }),
                }
            }
            Err(BanksClientError::TransactionError(e)) => return Err(SendError::Rejected { err: e, logs: vec![] }),
            Err(BanksClientError::SimulationError { err, logs, .. }) => return Err(SendError::Rejected { err, logs }),
            Err(e) => return Err(SendError::Bank(e.to_string())),
        };
        self.known.extend(keys);
        self.writes.extend(writable);
        if self.writes.len() > WRITES_KEPT {
            let over = self.writes.len() - WRITES_KEPT;
            self.writes.drain(..over);
            self.writes_from += over as u64;
        }
        let clock = self.clock().await;
        self.txs.insert(
            signature,
            TxRecord {
                slot: clock.slot,
                block_time: clock.unix_timestamp,
                err,
                logs,
                units,
                return_data,
                wire: wire.to_vec(),
            },
        );
        Ok(signature)
    }

    /// The accounts writable in transactions executed since write number `since` (each once), and the
    /// number to ask from next time; Err(that number) when `since` is not one the chain remembers.
    pub fn written_since(&self, since: u64) -> Result<(Vec<Pubkey>, u64), u64> {
        let next = self.writes_from + self.writes.len() as u64;
        if since < self.writes_from || since > next {
            return Err(next);
        }
        let fresh: BTreeSet<Pubkey> = self
            .writes
            .range((since - self.writes_from) as usize..)
            .copied()
            .collect();
        Ok((fresh.into_iter().collect(), next))
    }

    /// Signs and executes instructions paid by `signers[0]`.
    pub async fn execute(
        &mut self,
        ixs: &[solana_sdk::instruction::Instruction],
        signers: &[&Keypair],
    ) -> Result<Signature, SendError> {
        let blockhash = self.latest_blockhash().await;
        let tx = Transaction::new_signed_with_payer(ixs, Some(&signers[0].pubkey()), signers, blockhash);
        let wire = bincode::serialize(&VersionedTransaction::from(tx)).expect("serializes");
        let signature = self.send(&wire, true).await?;
        match &self.txs[&signature].err {
            None => Ok(signature),
            Some(err) => Err(SendError::Rejected {
                err: err.clone(),
                logs: self.txs[&signature].logs.clone(),
            }),
        }
    }

    pub async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> Result<Signature, SendError> {
        let payer = self.payer();
        self.execute(
            &[system_instruction::transfer(&payer.pubkey(), to, lamports)],
            &[&payer],
        )
        .await
    }

    /// Moves time forward for programs and clients: the Clock sysvar's slot and unix timestamp.
    /// (Warping the bank itself re-hashes every account through thousands of temporary files, which
    /// fails under ordinary open-file limits; nothing here needs more than the clock to move.)
    pub async fn advance(&mut self, slots: u64, secs: i64) -> Result<(), String> {
        let mut clock = self.clock().await;
        clock.slot += slots;
        clock.unix_timestamp += secs.max(0);
        self.ctx.set_sysvar(&clock);
        Ok(())
    }

    /// One slot of a running chain: the slot moves by one and the clock follows the wall clock
    /// (never backwards, so an earlier `advance` keeps its lead).
    pub async fn tick(&mut self, wall_unix_timestamp: i64) {
        let mut clock = self.clock().await;
        clock.slot += 1;
        clock.unix_timestamp = clock.unix_timestamp.max(wall_unix_timestamp);
        self.ctx.set_sysvar(&clock);
    }

    /// Every known account owned by `program` whose data passes the filters.
    pub async fn program_accounts(&self, program: &Pubkey, filters: &[AccountFilter]) -> Vec<(Pubkey, Account)> {
        let mut out = Vec::new();
        for key in &self.known {
            let cached = self.owners.lock().expect("owners").get(key).copied();
            if matches!(cached, Some(owner) if owner != *program) {
                continue;
            }
            let Some(account) = self.account(key).await else {
                self.owners.lock().expect("owners").remove(key);
                continue;
            };
            if *account.owner() != solana_sdk::system_program::ID {
                self.owners.lock().expect("owners").insert(*key, *account.owner());
            }
            if account.owner() == program && filters.iter().all(|f| f.matches(account.data())) {
                out.push((*key, account));
            }
        }
        out
    }
}

#[derive(Clone, Debug)]
pub enum AccountFilter {
    DataSize(usize),
    Memcmp { offset: usize, bytes: Vec<u8> },
}

impl AccountFilter {
    pub fn matches(&self, data: &[u8]) -> bool {
        match self {
            AccountFilter::DataSize(n) => data.len() == *n,
            AccountFilter::Memcmp { offset, bytes } => {
                data.get(*offset..offset + bytes.len()) == Some(bytes.as_slice())
            }
        }
    }
}
