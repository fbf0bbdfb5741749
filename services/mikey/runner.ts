import type { Redis } from 'ioredis';
import { DEFAULT_MARKETS } from '../../domain/perp';
import { firehoseStreamKey, type WorkflowEvent } from '../../domain/workflow-events';
import { insights as insightsTable } from '../../drizzle/schema';
import type { Database } from '../../platform/postgres';
import { Mikey } from './mikey';
import { workingsOf, type Insight } from '../../domain/insights';
import { decodeSample, encodeSample, type MarketSample } from './market-state';
import { insightStreamKey, marketStateStreamKey } from './streams';
import { decodeReading, outsideStreamKey } from './outside/source';

export { insightStreamKey };

export const MIKEY_GROUP = 'mikey';
/** How far back a restarted MIKEY re-reads what it had already handled, to rebuild its state (two hours of candles). */
const WARM_UP_MS = 2 * 3_600_000;
const INSIGHTS_MAX_LENGTH = 100_000;
const DEDUPE_TTL_SECONDS = 7 * 24 * 3600;

// SET NX + XADD: an insight written again after a crash (before its entries were acknowledged) adds nothing.
const ADD_ONCE = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'insight', ARGV[3])
end
return false`;

type Entry = [id: string, fields: string[]];

/**
 * MIKEY as a process (issue 14): one consumer group (`mikey`) on every price stream and the workflow
 * firehose, so a restart continues where it stopped (its pending entries first); a restart re-reads the
 * last two hours it had handled to rebuild its state, so its insights are those of a run that never stopped.
 * Entries of one read are handled in stream-ID order (one Redis clock), each insight written to the
 * `insights` table and `<prefix>:insights:<market>` once, and only then acknowledged.
 */
export class MikeyRunner {
  readonly mikey = new Mikey();
  private readonly streams: string[];
  private readonly marketOfStream: Map<string, number>;
  private readonly stateStreams: Set<string>;
  private readonly outsideStreams: Set<string>;
  private pendingFirst = true;

  constructor(
    private readonly redis: Redis,
    private readonly db: Database,
    private readonly prefix: string,
    private readonly consumer: string,
  ) {
    this.marketOfStream = new Map(DEFAULT_MARKETS.map((m) => [`${prefix}:prices:${m.symbol}`, m.marketIndex]));
    this.stateStreams = new Set(DEFAULT_MARKETS.map((m) => marketStateStreamKey(prefix, m.symbol)));
    this.outsideStreams = new Set(DEFAULT_MARKETS.map((m) => outsideStreamKey(prefix, m.symbol)));
    this.streams = [
      ...this.marketOfStream.keys(),
      ...this.stateStreams,
      ...this.outsideStreams,
      firehoseStreamKey(prefix),
    ];
  }

  /** Creates the group where missing (at the start of each stream) and rebuilds the state from what it handled. */
  async start(nowMs: number): Promise<void> {
    for (const stream of this.streams) {
      try {
        await this.redis.xgroup('CREATE', stream, MIKEY_GROUP, '0', 'MKSTREAM');
      } catch (err) {
        if (!String(err).includes('BUSYGROUP')) throw err;
      }
      const delivered = await this.lastDelivered(stream);
      if (delivered === '0-0') continue;
      const entries = (await this.redis.xrange(stream, `${nowMs - WARM_UP_MS}-0`, delivered)) as Entry[];
      for (const entry of entries) this.handle(stream, entry); // outputs already written before the restart
    }
  }

  /**
   * Reads and handles one batch (pending entries first, after a restart); returns the insights it wrote.
   * `then` runs on them before the batch is acknowledged (the traders' cascade alerts).
   */
  async step(blockMs = 1_000, then?: (insights: Insight[]) => Promise<void>): Promise<Insight[]> {
    const from = this.pendingFirst ? '0' : '>';
    const read = (await this.redis.call(
      'XREADGROUP',
      'GROUP',
      MIKEY_GROUP,
      this.consumer,
      'COUNT',
      1_000,
      ...(this.pendingFirst ? [] : ['BLOCK', String(blockMs)]),
      'STREAMS',
      ...this.streams,
      ...this.streams.map(() => from),
    )) as [string, Entry[]][] | null;
    const batch = (read ?? []).flatMap(([stream, entries]) => entries.map((e) => ({ stream, entry: e })));
    if (this.pendingFirst && batch.length === 0) this.pendingFirst = false;
    batch.sort((a, b) => compareIds(a.entry[0], b.entry[0]));
    const out = batch.flatMap(({ stream, entry }) => this.handle(stream, entry));
    await this.write(out);
    if (then) await then(out);
    for (const [stream, entries] of read ?? [])
      if (entries.length) await this.redis.xack(stream, MIKEY_GROUP, ...entries.map(([id]) => id));
    return out;
  }

  /**
   * Records a market sample (read from the chain by the sampler) in the market's state stream: an input like
   * any other, handled in stream order when the group reads it.
   */
  async recordSample(sample: MarketSample): Promise<void> {
    const symbol = DEFAULT_MARKETS.find((m) => m.marketIndex === sample.marketIndex)?.symbol;
    if (!symbol) return;
    await this.redis.xadd(
      marketStateStreamKey(this.prefix, symbol),
      'MAXLEN',
      '~',
      '10000',
      '*',
      ...encodeSample(sample),
    );
  }

  private handle(stream: string, [, fields]: Entry): Insight[] {
    const get = (k: string) => fields[fields.indexOf(k) + 1];
    if (this.stateStreams.has(stream)) {
      const sample = get('sample');
      return sample ? this.mikey.onMarketState(decodeSample(sample)) : [];
    }
    if (this.outsideStreams.has(stream)) {
      const reading = get('reading');
      const at = get('at');
      return reading && at ? this.mikey.onOutside(decodeReading(reading), at) : [];
    }
    const market = this.marketOfStream.get(stream);
    if (market !== undefined) {
      const at = Date.parse(get('at') ?? '');
      const price = get('price');
      return Number.isFinite(at) && price ? this.mikey.onPrice(market, BigInt(price), at) : [];
    }
    const event = get('event');
    return event ? this.mikey.onEvent(JSON.parse(event) as WorkflowEvent) : [];
  }

  private async write(out: Insight[]): Promise<void> {
    if (!out.length) return;
    await this.db
      .insert(insightsTable)
      .values(
        out.map((i) => ({
          id: i.id,
          market: i.market,
          kind: i.kind,
          at: new Date(i.at),
          summary: i.summary,
          value: i.value,
          workings: workingsOf(i),
        })),
      )
      .onConflictDoNothing();
    for (const i of out)
      await this.redis.eval(
        ADD_ONCE,
        2,
        insightStreamKey(this.prefix, i.market),
        `${this.prefix}:insight-keys:${i.id}`,
        DEDUPE_TTL_SECONDS,
        INSIGHTS_MAX_LENGTH,
        JSON.stringify(i),
      );
  }

  private async lastDelivered(stream: string): Promise<string> {
    const groups = (await this.redis.xinfo('GROUPS', stream)) as (string | number | null)[][];
    for (const g of groups) {
      const field = (k: string) => g[g.indexOf(k) + 1];
      if (field('name') === MIKEY_GROUP) return String(field('last-delivered-id') ?? '0-0');
    }
    return '0-0';
  }
}

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}
