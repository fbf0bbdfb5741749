export * from './fixed-point';
export * from './market';
export * from './trading';
export * from './funding';
export * from './margin';
export * from './liquidation';
export * from './oracle';
export * from './pre-trade';
