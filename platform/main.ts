import { ConfigError } from './config';

type ShutdownHook = () => void | Promise<void>;

/**
 * Runs a process entry point: a ConfigError prints each bad QD_* variable and exits 2; SIGINT/SIGTERM
 * run the registered shutdown hooks once; any other failure exits 1 with its stack.
 */
export async function runMain(name: string, main: (onShutdown: (hook: ShutdownHook) => void) => Promise<void>) {
  const hooks: ShutdownHook[] = [];
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`[${name}] ${signal} received, shutting down`);
    for (const hook of hooks.reverse()) await hook();
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  try {
    await main((hook) => hooks.push(hook));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`[${name}] ${err.message}`);
      process.exit(2);
    }
    console.error(`[${name}] fatal:`, err);
    process.exit(1);
  }
}
