/**
 * Runs `drainOnce` (moves up to `batch` items from where an outage parked them; returns how many) every
 * `everyMs`, or again at once after a full batch, until the returned function is called. A failing round
 * is told to `onError` once when the failures start, then every 30 s while they last.
 */
export function startDrain(
  drainOnce: () => Promise<number>,
  batch: number,
  onError: (err: unknown) => void,
  everyMs = 1_000,
): () => void {
  let stopped = false;
  let warnedAt = 0;
  const loop = async () => {
    while (!stopped) {
      const moved = await drainOnce().catch((err: unknown) => {
        if (Date.now() - warnedAt >= 30_000) {
          warnedAt = Date.now();
          onError(err);
        }
        return 0;
      });
      if (moved < batch) await new Promise((r) => setTimeout(r, everyMs));
    }
  };
  void loop();
  return () => {
    stopped = true;
  };
}
