import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths that may carry credentials; pino replaces their values before anything is written. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.secretKey',
  '*.privateKey',
  '*.token',
  '*.signature',
];

export function createLogger(options: { level: string; name: string }, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
