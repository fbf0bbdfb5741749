// MIKEY's streams, named in one place for MIKEY and the API that reads them.

/** Where MIKEY writes a market's insights (the API relays them to the market's socket room). */
export const insightStreamKey = (prefix: string, market: string) => `${prefix}:insights:${market}`;

/** MIKEY's own input stream of a market's samples from the chain (services/mikey/market-state.ts). */
export const marketStateStreamKey = (prefix: string, symbol: string) => `${prefix}:market-state:${symbol}`;
