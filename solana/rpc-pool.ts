import http from 'node:http';
import https from 'node:https';
import { Connection, Transaction, type Commitment, type VersionedTransaction } from '@solana/web3.js';
import bs58 from 'bs58';
import { programErrorName, transactionErrorName } from './program-errors';
import { turnBatcher } from '../platform/turn-batcher';

/** Every provider failed: retry later (the caller's retry policy decides when). Nothing was executed. */
export class RpcUnavailableError extends Error {
  readonly retryable = true;
  constructor(
    what: string,
    readonly causes: string[],
  ) {
    super(`no RPC provider could ${what}: ${causes.join('; ')}`);
    this.name = 'RpcUnavailableError';
  }
}

/** The transaction's blockhash expired before any provider executed it: it must be signed again. */
export class TransactionExpiredError extends Error {
  readonly retryable = false;
  constructor(readonly signature: string) {
    super(`transaction ${signature} expired before it landed; sign it again with a fresh blockhash`);
    this.name = 'TransactionExpired';
  }
}

/** The program refused the transaction: a business outcome, the same on every provider, never retried. */
export class ProgramRejectedError extends Error {
  readonly retryable = false;
  constructor(
    readonly errorName: string,
    cause: unknown,
  ) {
    super(`program rejected the transaction: ${errorName}`);
    this.name = 'ProgramRejectedError';
    this.cause = cause;
  }
}

/** An error a provider answered to a JSON-RPC request (the node's message; `logs` of a refused transaction). */
export class JsonRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly logs: string[],
  ) {
    super(message);
    this.name = 'JsonRpcError';
  }
}

/** A signed transaction as the wire bytes and its (first) signature, base58: what is sent and asked after. */
export interface SignedWire {
  wire: Buffer;
  signature: string;
}

/**
 * How a transaction is sent. `skipPreflight`: the node does not simulate it first, so a transaction the
 * program refuses lands as failed (its fee paid) and the refusal is read from its status, still as a
 * ProgramRejectedError; the node executes it once instead of twice. For senders whose program re-checks
 * everything anyway (the keeper's liquidations).
 */
export interface SendOptions {
  skipPreflight?: boolean;
  /**
   * Asked first once a provider has taken the transaction: true when it finds it executed (a read of the
   * landed transaction's result, which then needs no status check before it: one round trip instead of
   * two); false or a failure, and the pool's status checks decide as without it (sendAsKeeperAndRead).
   */
  executed?: (signature: string) => Promise<boolean>;
}

/** A signature's status as the node reports it (getSignatureStatuses). */
interface SignatureStatus {
  err: unknown;
}

export interface RpcPoolOptions {
  /** The clock, injected (milliseconds). */
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
  requestTimeoutMs?: number;
  /** Deadline of bulk reads (program account scans), which legitimately take seconds on large books. */
  bulkTimeoutMs?: number;
  /** Consecutive failures that open a provider's circuit. */
  failureThreshold?: number;
  /** How long an open circuit stays open before one trial request. */
  openMs?: number;
  /** Slots behind the best provider beyond which a provider is used last. */
  maxSlotLag?: number;
  /** Rounds over all providers before giving up, with exponential backoff between rounds. */
  rounds?: number;
  backoffMs?: number;
  commitment?: Commitment;
  /** Told of every request a provider answered or failed (metrics); `provider` is its index in the URL list. */
  onRequest?: (provider: number, ms: number, ok: boolean) => void;
  /**
   * JSON-RPC calls (`request`, sends, status checks) made to one provider in one turn of the event loop go
   * out as one batch request of up to this many calls (1: one HTTP request per call). Bulk reads never do.
   */
  callsPerRequest?: number;
}

export interface ProviderMetrics {
  url: string;
  requests: number;
  failures: number;
  sends: number;
  latencyEwmaMs: number;
  slot: number | null;
  slotLag: number;
  circuit: 'closed' | 'open' | 'half-open';
}

interface Provider {
  index: number;
  url: string;
  connection: Connection;
  bulkConnection: Connection;
  requests: number;
  failures: number;
  sends: number;
  consecutiveFailures: number;
  latencyEwmaMs: number;
  slot: number | null;
  openedAt: number | null;
  /** This provider's recent status checks, gathered per turn of the event loop (recentStatus). */
  statusBatcher?: (signature: string) => Promise<SignatureStatus | null>;
  /** The JSON-RPC calls of one turn, as one batch request. */
  callBatcher?: (call: RpcCall) => Promise<RpcAnswer>;
}

interface RpcCall {
  method: string;
  params: unknown[];
}

/** One call's answer in a batch: its result, or the error the node answered to it (or its missing answer). */
type RpcAnswer = { result: unknown } | { error: Error };

interface JsonRpcResponse {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: { logs?: string[] | null } | null };
}

const rpcErrorOf = (e: NonNullable<JsonRpcResponse['error']>) =>
  new JsonRpcError(e.code, e.message, e.data?.logs ?? []);

const EWMA_WEIGHT = 0.2;
/**
 * Calls per JSON-RPC batch by default: the HTTP round trip (a request, its headers, a socket write and a
 * read, a tenth of the liquidation worker's CPU in a crash when each call was its own) is paid once per
 * turn; hosted providers take batches of this size.
 */
export const CALLS_PER_REQUEST = 50;
/** getSignatureStatuses takes at most this many signatures per request. */
const MAX_SIGNATURES_PER_STATUS_REQUEST = 256;
const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * N RPC providers behind one interface: health scoring (latency, errors, slot lag), a circuit breaker
 * per provider, retry with backoff on another provider, and idempotent sends.
 */
export class RpcPool {
  private readonly providers: Provider[];
  private readonly o: Required<RpcPoolOptions>;

  constructor(urls: string[], options: RpcPoolOptions) {
    if (urls.length === 0) throw new RangeError('an RPC pool needs at least one URL');
    this.o = {
      onRequest: () => undefined,
      sleep: sleepFor,
      requestTimeoutMs: 2_000,
      bulkTimeoutMs: 120_000,
      failureThreshold: 3,
      openMs: 5_000,
      maxSlotLag: 20,
      rounds: 3,
      backoffMs: 100,
      commitment: 'confirmed',
      callsPerRequest: CALLS_PER_REQUEST,
      ...options,
    };
    // Each request carries its own deadline, so a hung provider costs at most requestTimeoutMs.
    const connect = (url: string, timeout: number) =>
      new Connection(url, {
        commitment: this.o.commitment,
        disableRetryOnRateLimit: true,
        fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeout) }),
      });
    this.providers = urls.map((url, index) => ({
      index,
      url,
      connection: connect(url, this.o.requestTimeoutMs),
      bulkConnection: connect(url, this.o.bulkTimeoutMs),
      requests: 0,
      failures: 0,
      sends: 0,
      consecutiveFailures: 0,
      latencyEwmaMs: 0,
      slot: null,
      openedAt: null,
    }));
  }

  /** The pool's clock (injected; milliseconds), for callers that keep what they read for a while. */
  now(): number {
    return this.o.now();
  }

  /** The connection of the currently best provider, for read paths that want a plain Connection. */
  get primary(): Connection {
    return this.ranked()[0]!.connection;
  }

  metrics(): ProviderMetrics[] {
    const best = this.bestSlot();
    return this.providers.map((p) => ({
      url: p.url,
      requests: p.requests,
      failures: p.failures,
      sends: p.sends,
      latencyEwmaMs: Math.round(p.latencyEwmaMs * 10) / 10,
      slot: p.slot,
      slotLag: this.lag(p, best),
      circuit: this.circuit(p),
    }));
  }

  /** Polls every provider's slot (for slot-lag scoring); call it periodically. */
  async refreshHealth(): Promise<void> {
    await Promise.all(
      this.providers.map(async (p) => {
        try {
          p.slot = await this.timed(p, () => p.connection.getSlot(this.o.commitment));
        } catch {
          // recorded by timed()
        }
      }),
    );
  }

  /**
   * Runs a read on the best provider, moving to the next on failure; rounds with backoff. A `bulk` read
   * (a program account scan) gets the bulk deadline and is left out of the providers' latency scores.
   */
  async call<T>(
    what: string,
    op: (connection: Connection) => Promise<T>,
    options: { bulk?: boolean } = {},
  ): Promise<T> {
    return this.attempt(what, (p) => op(options.bulk ? p.bulkConnection : p.connection), options.bulk);
  }

  /**
   * One JSON-RPC method as the node answers it, with the same failover as `call`, but without web3.js's
   * client stack (its request queue and a schema validation of every response): for the keeper's hot
   * paths — a liquidation step is a send, a status, a transaction read and an account read, and in a crash
   * hundreds run each second on the same thread as everything else. Returns the `result` as the node sent it.
   */
  async request<T>(what: string, method: string, params: unknown[], options: { bulk?: boolean } = {}): Promise<T> {
    return this.attempt(what, (p) => this.raw<T>(p, method, params, options.bulk), options.bulk);
  }

  private async attempt<T>(what: string, op: (p: Provider) => Promise<T>, bulk = false): Promise<T> {
    const causes: string[] = [];
    for (let round = 0; round < this.o.rounds; round++) {
      for (const p of this.ranked()) {
        if (this.circuit(p) === 'open') continue;
        try {
          return await this.timed(p, () => op(p), bulk);
        } catch (err) {
          causes.push(`${p.url}: ${describe(err)}`);
        }
      }
      if (round < this.o.rounds - 1) await this.o.sleep(this.o.backoffMs * 2 ** round);
    }
    throw new RpcUnavailableError(what, causes.slice(-this.providers.length));
  }

  private requestId = 0;

  /**
   * One JSON-RPC call to one provider, under the request deadline (the bulk one for a `bulk` read): in a
   * batch with the provider's other calls of this turn (callsPerRequest), a bulk read on its own.
   */
  private async raw<T>(p: Provider, method: string, params: unknown[], bulk = false): Promise<T> {
    const call = { method, params };
    // A bulk read (a long scan under its own deadline) goes alone.
    const alone = bulk || this.o.callsPerRequest <= 1;
    p.callBatcher ??= turnBatcher((calls: RpcCall[]) => this.batch(p, calls), this.o.callsPerRequest);
    const answer = alone ? (await this.batch(p, [call], bulk))[0]! : await p.callBatcher(call);
    if ('error' in answer) throw answer.error;
    return answer.result as T;
  }

  /**
   * Calls as one request (a single call as itself): each gets its own result or error; a failed request
   * (HTTP, connection, deadline, an answer that is not theirs) fails them all, and each caller's failover
   * retries it.
   */
  private async batch(p: Provider, calls: RpcCall[], bulk = false): Promise<RpcAnswer[]> {
    const first = ++this.requestId;
    const requests = calls.map(({ method, params }, i) => ({ jsonrpc: '2.0', id: first + i, method, params }));
    this.requestId += calls.length - 1;
    const what = calls.length === 1 ? calls[0]!.method : `a batch of ${calls.length} calls`;
    const body = await this.post<JsonRpcResponse | JsonRpcResponse[]>(
      p,
      calls.length === 1 ? requests[0] : requests,
      what,
      bulk,
    );
    const answers = Array.isArray(body) ? body : [body];
    const byId = new Map(answers.map((a) => [a.id, a]));
    return requests.map(({ id, method }) => {
      const a = byId.get(id) ?? (answers.length === 1 && calls.length === 1 ? answers[0] : undefined);
      if (!a) return { error: new Error(`${what}: no answer to ${method} (id ${id})`) };
      return a.error ? { error: rpcErrorOf(a.error) } : { result: a.result };
    });
  }

  private async post<T>(p: Provider, request: unknown, what: string, bulk = false): Promise<T> {
    const answer = await postJson(
      p.url,
      JSON.stringify(request),
      bulk ? this.o.bulkTimeoutMs : this.o.requestTimeoutMs,
    );
    if (answer.status < 200 || answer.status > 299)
      throw new Error(`${what}: HTTP ${answer.status} ${answer.statusMessage}`);
    return JSON.parse(answer.body.toString('utf8')) as T;
  }

  private statusOf(p: Provider, signature: string, searchTransactionHistory = false) {
    return this.raw<{ value: (SignatureStatus | null)[] }>(p, 'getSignatureStatuses', [
      [signature],
      { searchTransactionHistory },
    ]);
  }

  /**
   * A signature's recent status from one provider: the checks of every send waiting on the same provider
   * in the same turn of the event loop go out as one getSignatureStatuses (timed as one request, up to the
   * node's 256 signatures), so a burst of keeper transactions costs one status request per turn, not one each.
   */
  private recentStatus(p: Provider, signature: string): Promise<SignatureStatus | null> {
    p.statusBatcher ??= turnBatcher(async (signatures: string[]) => {
      const { value } = await this.timed(p, () =>
        this.raw<{ value: (SignatureStatus | null)[] }>(p, 'getSignatureStatuses', [
          signatures,
          { searchTransactionHistory: false },
        ]),
      );
      return signatures.map((_, i) => value[i] ?? null);
    }, MAX_SIGNATURES_PER_STATUS_REQUEST);
    return p.statusBatcher(signature);
  }

  private blockhash: { value: string; at: number } | null = null;

  /**
   * A recent blockhash, reused for up to `maxAgeMs` (a blockhash stays valid for about 150 blocks, a minute
   * or more): a keeper sending many transactions asks once, not once per transaction. `fresh` asks anew
   * (re-signing after an expiry).
   */
  async recentBlockhash(options: { maxAgeMs?: number; fresh?: boolean } = {}): Promise<string> {
    const now = this.o.now();
    if (!options.fresh && this.blockhash && now - this.blockhash.at < (options.maxAgeMs ?? 10_000))
      return this.blockhash.value;
    const { blockhash } = await this.call('get a blockhash', (c) => c.getLatestBlockhash());
    this.blockhash = { value: blockhash, at: now };
    return blockhash;
  }

  /**
   * Sends a signed transaction so that it executes at most once: the same bytes are rebroadcast to the
   * next provider only after every provider has been asked for its signature; a program rejection is
   * final. `resign` (optional) re-signs with a fresh blockhash once the old one can no longer land.
   */
  async sendTransaction(
    tx: Transaction | VersionedTransaction | SignedWire,
    resign?: () => Promise<Transaction | VersionedTransaction | SignedWire>,
    options: SendOptions = {},
  ): Promise<{ signature: string; provider: string }> {
    let wire = wireOf(tx);
    let signature = signatureOf(tx);
    const causes: string[] = [];
    for (let round = 0; round < this.o.rounds; round++) {
      for (const p of this.ranked()) {
        if (this.circuit(p) === 'open') continue;
        try {
          p.sends++;
          await this.timed(p, () =>
            this.raw(p, 'sendTransaction', [
              wire.toString('base64'),
              {
                encoding: 'base64',
                skipPreflight: options.skipPreflight ?? false,
                maxRetries: 0,
                preflightCommitment: this.o.commitment,
              },
            ]),
          );
          if ((await options.executed?.(signature).catch(() => false)) || (await this.awaitLanding(signature)))
            return { signature, provider: p.url };
          causes.push(`${p.url}: not seen within the confirmation window`);
        } catch (err) {
          // A refusal found by the preflight (the send's answer) or, without one, by the landed status.
          if (err instanceof ProgramRejectedError) throw err;
          const name = programErrorName(err);
          if (name) throw new ProgramRejectedError(name, err);
          causes.push(`${p.url}: ${describe(err)}`);
          if (isBlockhashExpired(err)) {
            // Only a signature no provider has seen may be replaced; the program's nonce guards the rest.
            if (await this.landedAnywhere(signature)) return { signature, provider: 'already-landed' };
            if (!resign) throw new TransactionExpiredError(signature);
            const fresh = await resign();
            wire = wireOf(fresh);
            signature = signatureOf(fresh);
          }
        }
        // The provider may have executed it before failing: ask everyone before sending the bytes again.
        if (await this.landedAnywhere(signature)) return { signature, provider: 'already-landed' };
      }
      if (round < this.o.rounds - 1) await this.o.sleep(this.o.backoffMs * 2 ** round);
    }
    throw new RpcUnavailableError('send the transaction', causes.slice(-this.providers.length));
  }

  /**
   * What the chain did with a signature, asking every provider (even one whose circuit is open): executed,
   * failed (the program refused it: nothing moved), or null when no provider that answered has it.
   * `answered` says how many providers answered; with every one answering, a null is as sure as the
   * providers' history is (a transaction whose blockhash may still land can yet execute).
   */
  async signatureOutcome(
    signature: string,
  ): Promise<{ outcome: 'executed' | 'failed' | null; answered: number; providers: number }> {
    let answered = 0;
    for (const p of this.providers) {
      let status;
      try {
        ({
          value: [status],
        } = await this.timed(p, () => this.statusOf(p, signature, true)));
      } catch {
        continue;
      }
      answered++;
      if (status) return { outcome: status.err ? 'failed' : 'executed', answered, providers: this.providers.length };
    }
    return { outcome: null, answered, providers: this.providers.length };
  }

  /**
   * Whether a transaction with this blockhash may still land, asking every provider: true if any says so,
   * false only when every provider answered that it has expired, null when some did not answer.
   */
  async blockhashStillValid(blockhash: string): Promise<boolean | null> {
    let answered = 0;
    for (const p of this.providers) {
      let valid;
      try {
        ({ value: valid } = await this.timed(p, () =>
          p.connection.isBlockhashValid(blockhash, { commitment: 'processed' }),
        ));
      } catch {
        continue;
      }
      answered++;
      if (valid) return true;
    }
    return answered === this.providers.length ? false : null;
  }

  /** Polls for the signature (any provider) for a short window; a failed execution is final. */
  private async awaitLanding(signature: string, polls = 20, intervalMs = 100): Promise<boolean> {
    for (let i = 0; i < polls; i++) {
      if (await this.landedAnywhere(signature)) return true;
      await this.o.sleep(intervalMs);
    }
    return false;
  }

  /** Whether any reachable provider has the signature; throws ProgramRejectedError if it failed. */
  private async landedAnywhere(signature: string): Promise<boolean> {
    for (const p of this.ranked()) {
      if (this.circuit(p) === 'open') continue;
      let status;
      try {
        status = await this.recentStatus(p, signature);
      } catch {
        continue;
      }
      if (!status) continue;
      if (status.err) throw new ProgramRejectedError(transactionErrorName(status.err), status.err);
      return true;
    }
    return false;
  }

  private async timed<T>(p: Provider, op: () => Promise<T>, bulk = false): Promise<T> {
    const started = this.o.now();
    p.requests++;
    try {
      const value = await op();
      p.consecutiveFailures = 0;
      p.openedAt = null;
      if (!bulk) this.observe(p, this.o.now() - started);
      this.o.onRequest(p.index, this.o.now() - started, true);
      return value;
    } catch (err) {
      if (programErrorName(err)) {
        this.observe(p, this.o.now() - started); // the provider answered; the program said no
        this.o.onRequest(p.index, this.o.now() - started, true);
        throw err;
      }
      this.o.onRequest(p.index, this.o.now() - started, false);
      p.failures++;
      p.consecutiveFailures++;
      this.observe(p, Math.max(this.o.now() - started, this.o.requestTimeoutMs));
      if (p.consecutiveFailures >= this.o.failureThreshold) p.openedAt = this.o.now();
      throw err;
    }
  }

  private observe(p: Provider, ms: number) {
    p.latencyEwmaMs = p.latencyEwmaMs === 0 ? ms : p.latencyEwmaMs * (1 - EWMA_WEIGHT) + ms * EWMA_WEIGHT;
  }

  private circuit(p: Provider): ProviderMetrics['circuit'] {
    if (p.openedAt === null) return 'closed';
    return this.o.now() - p.openedAt >= this.o.openMs ? 'half-open' : 'open';
  }

  private bestSlot(): number {
    return Math.max(0, ...this.providers.map((p) => p.slot ?? 0));
  }

  private lag(p: Provider, best: number): number {
    return p.slot === null ? 0 : best - p.slot;
  }

  /** Lower is better: latency, plus a penalty per recent failure and for lagging or open providers. */
  private ranked(): Provider[] {
    const best = this.bestSlot();
    const score = (p: Provider) =>
      p.latencyEwmaMs +
      p.consecutiveFailures * this.o.requestTimeoutMs +
      (this.lag(p, best) > this.o.maxSlotLag ? 10 * this.o.requestTimeoutMs : 0) +
      (this.circuit(p) === 'closed' ? 0 : 100 * this.o.requestTimeoutMs);
    return [...this.providers].sort((a, b) => score(a) - score(b));
  }
}

/**
 * The wire bytes. Signatures are not verified here (web3.js would check each with a pure-JS ed25519, the
 * keeper's largest CPU cost in a liquidation burst): every node verifies them, and a bad one is refused.
 */
function wireOf(tx: Transaction | VersionedTransaction | SignedWire): Buffer {
  if ('wire' in tx) return tx.wire;
  return Buffer.from(
    tx instanceof Transaction ? tx.serialize({ requireAllSignatures: true, verifySignatures: false }) : tx.serialize(),
  );
}

function signatureOf(tx: Transaction | VersionedTransaction | SignedWire): string {
  if ('wire' in tx) return tx.signature;
  const sig = 'version' in tx ? tx.signatures[0] : tx.signature;
  if (!sig) throw new RangeError('the transaction is not signed');
  return bs58.encode(sig);
}

function isBlockhashExpired(err: unknown): boolean {
  return /blockhash not found|block height exceeded|BlockhashNotFound/i.test(describe(err));
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
  return String(err);
}

// The plain JSON-RPC path (the keeper's sends and status polls, the account reads) over node:http with
// keep-alive sockets: WHATWG fetch (undici) built a Request, a Response, an AbortSignal and their promise
// chains per call, a tenth of the liquidation worker's CPU in a crash (V8 profile, issue 10).
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

/** POSTs a JSON body and reads the whole answer, or fails after `timeoutMs` (connection and answer together). */
function postJson(
  url: string,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; statusMessage: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const req = (secure ? https : http).request(
      target,
      {
        method: 'POST',
        agent: agents[secure ? 'https:' : 'http:'],
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', body: Buffer.concat(chunks) });
        });
        res.on('error', fail);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error) {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    req.end(body);
  });
}
