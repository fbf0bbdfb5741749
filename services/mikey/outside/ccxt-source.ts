import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ccxt, { NetworkError, type Exchange } from 'ccxt';
import { decimalToInteger, type OutsideReading, type OutsideSource } from './source';

/** Venues we read, by ccxt id, with their funding interval when ccxt's answer does not carry one. */
export const VENUES = {
  binanceusdm: { fundingHours: 8, options: {} },
  bybit: { fundingHours: 8, options: { fetchMarkets: { types: ['linear'] } } },
} as const;
export type Venue = keyof typeof VENUES;

/** Recorded responses of one venue: URL -> the JSON body it answered (services/mikey/outside/fixtures/). */
export interface Recording {
  venue: Venue;
  /** How the responses were made (recorded from the venue, or written to its documented format). */
  provenance: string;
  responses: Record<string, unknown>;
}

export const fixturePath = (venue: Venue) => fileURLToPath(new URL(`./fixtures/${venue}.json`, import.meta.url));

export function loadRecording(venue: Venue): Recording {
  return JSON.parse(readFileSync(fixturePath(venue), 'utf8')) as Recording;
}

/** Our market (SOL-PERP) as the venue's USDT-margined perpetual in ccxt's unified symbols. */
export const instrumentOf = (market: string): string => `${market.split('-')[0]}/USDT:USDT`;

const PRICE_DECIMALS = 6;
const BASE_DECIMALS = 9;
const FUNDING_DECIMALS = 9;

/**
 * One venue through ccxt's unified API (fetchTicker, fetchFundingRate, fetchOpenInterest), in `live` mode
 * over its public REST API, or in `replay` mode answering every request from a recording (a request the
 * recording lacks fails like an unreachable venue). ccxt's numbers are turned into our integers through
 * its own decimal printing, never through float arithmetic.
 */
export class CcxtSource implements OutsideSource {
  readonly mode: 'live' | 'replay';
  private readonly exchange: Exchange;

  constructor(
    readonly venue: Venue,
    recording: Recording | null,
  ) {
    this.mode = recording ? 'replay' : 'live';
    const Class = (ccxt as unknown as Record<Venue, new (config: object) => Exchange>)[venue];
    this.exchange = new Class({ options: VENUES[venue].options, timeout: 5_000, enableRateLimit: !recording });
    if (recording) {
      const responses = recording.responses;
      this.exchange.fetch = (url: string) => {
        if (!(url in responses)) return Promise.reject(new NetworkError(`${venue}: no recorded response for ${url}`));
        return Promise.resolve(structuredClone(responses[url]));
      };
    }
  }

  async read(markets: readonly string[]): Promise<OutsideReading[]> {
    await this.exchange.loadMarkets();
    const out: OutsideReading[] = [];
    for (const market of markets) {
      const instrument = instrumentOf(market);
      if (!this.exchange.markets?.[instrument]) continue; // the venue does not list it
      const ticker = await this.exchange.fetchTicker(instrument);
      const funding = await this.exchange.fetchFundingRate(instrument).catch(() => null);
      const interest = await this.exchange.fetchOpenInterest(instrument).catch(() => null);
      const price = this.integer(ticker.last, PRICE_DECIMALS);
      if (price === null || price <= 0n) continue;
      const hours = Number(/^(\d+)h$/.exec(funding?.interval ?? '')?.[1] ?? VENUES[this.venue].fundingHours);
      const rate = this.integer(funding?.fundingRate, FUNDING_DECIMALS);
      const at = ticker.timestamp ?? funding?.timestamp ?? interest?.timestamp;
      out.push({
        venue: this.venue,
        mode: this.mode,
        market,
        instrument,
        at: new Date(at ?? 0).toISOString(),
        price,
        indexPrice: this.integer(funding?.indexPrice ?? ticker.indexPrice, PRICE_DECIMALS),
        fundingRatePerHour: rate === null ? null : rate / BigInt(hours),
        openInterest: this.integer(interest?.openInterestAmount, BASE_DECIMALS),
      });
    }
    return out;
  }

  private integer(value: number | undefined | null, decimals: number): bigint | null {
    if (value === undefined || value === null || !Number.isFinite(value)) return null;
    return decimalToInteger(this.exchange.numberToString(value), decimals);
  }
}
