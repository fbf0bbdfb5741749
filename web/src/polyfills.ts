import { Buffer } from 'buffer';

// web3.js and the order encoding expect Node's Buffer; imported first by main.ts, before any module that uses it.
(globalThis as { Buffer?: typeof Buffer }).Buffer ??= Buffer;
