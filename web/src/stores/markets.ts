import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { api } from '../lib/api';
import { useRealtime } from '../composables/realtime';

export interface MarketRow {
  marketIndex: number;
  symbol: string;
  price: string | null;
  change24hBps: string | null;
  fundingRate: string | null;
  longOpenInterest: string | null;
  shortOpenInterest: string | null;
  paused: boolean | null;
  params: Record<string, string>;
}

export interface Candle {
  start: string;
  open: string;
  high: string;
  low: string;
  close: string;
  ticks: number;
}

export const INTERVALS = ['1m', '5m', '15m', '1h'] as const;
const INTERVAL_MS: Record<(typeof INTERVALS)[number], number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
};

/** The markets board and the selected market's candles, live from the socket's price and funding events. */
export const useMarketsStore = defineStore('markets', () => {
  const markets = ref<MarketRow[]>([]);
  const selected = ref<string>('SOL-PERP');
  const interval = ref<(typeof INTERVALS)[number]>('1m');
  const candles = ref<Candle[]>([]);
  const error = ref<string | null>(null);
  const current = computed(() => markets.value.find((m) => m.symbol === selected.value) ?? null);

  async function load(): Promise<void> {
    try {
      markets.value = (await api<{ markets: MarketRow[] }>('/v1/markets')).markets;
      error.value = null;
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    }
  }

  async function loadCandles(): Promise<void> {
    candles.value = (
      await api<{ candles: Candle[] }>(`/v1/markets/${selected.value}/candles?interval=${interval.value}&limit=120`)
    ).candles;
  }

  /** A live tick: the board's price and the last candle (or a new one when the tick opens a new bucket). */
  function onPrice(p: { symbol: string; price: string; at: string }): void {
    const row = markets.value.find((m) => m.symbol === p.symbol);
    if (row) row.price = p.price;
    if (p.symbol !== selected.value || !p.at) return;
    const span = INTERVAL_MS[interval.value];
    const start = new Date(Math.floor(Date.parse(p.at) / span) * span).toISOString();
    const last = candles.value.at(-1);
    if (last && last.start === start) {
      if (BigInt(p.price) > BigInt(last.high)) last.high = p.price;
      if (BigInt(p.price) < BigInt(last.low)) last.low = p.price;
      last.close = p.price;
      last.ticks++;
    } else if (!last || last.start < start) {
      candles.value.push({ start, open: p.price, high: p.price, low: p.price, close: p.price, ticks: 1 });
      if (candles.value.length > 240) candles.value.shift();
    }
  }

  const realtime = useRealtime();
  const reloadOnFunding = () => void load();
  /** Live prices and funding for every market, through the realtime composable. */
  function follow(): void {
    realtime.on('price', onPrice);
    realtime.on('funding', reloadOnFunding);
    for (const m of markets.value) realtime.join(`market:${m.symbol}`, () => ({ market: m.symbol }));
  }

  async function select(symbol: string): Promise<void> {
    selected.value = symbol;
    await loadCandles();
  }

  return { markets, selected, interval, candles, error, current, load, loadCandles, follow, select, onPrice };
});
