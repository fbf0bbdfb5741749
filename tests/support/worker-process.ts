import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  kill(): Promise<void>;
  /** Asks it to stop (SIGTERM) and waits until it has, killing it after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The last 20,000 characters it logged. */
  output(): string;
}

/** The real worker (temporal/worker.ts) as its own process, so a test can SIGKILL it mid-workflow. */
export async function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  return startServiceProcess('temporal/worker.ts', env, 'worker polling');
}

/**
 * One of the platform's processes (as `npm start` runs it), ready once its log says `ready`; a start
 * that takes longer than `timeoutMs` fails with the log so far.
 */
export async function startServiceProcess(
  script: string,
  env: NodeJS.ProcessEnv,
  ready: string,
  timeoutMs = 60_000,
  nodeArgs: string[] = [],
): Promise<WorkerProcess> {
  const [command, args] = nodeArgs.length
    ? [process.execPath, [...nodeArgs, '--import', 'tsx', script]]
    : [`${root}/node_modules/.bin/tsx`, [script]];
  const child: ChildProcess = spawn(command, args, {
    cwd: root,
    env: { ...env, QD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} did not start within ${timeoutMs / 1000} s:\n${log}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000);
      if (log.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${log}`));
    });
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    output: () => log,
    async stop(graceMs = 30_000) {
      if (exited()) return;
      const done = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => !exited() && process.kill(-child.pid!, 'SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGKILL'); // the whole group: tsx and the node process it runs
      await exited;
    },
  };
}
