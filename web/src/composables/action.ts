import { ref } from 'vue';

/**
 * One action with its own pending flag and error: a component's deposit button spins for its deposit
 * only, and an order's refusal shows beside the order form, not in another panel.
 */
export function useAction<A extends unknown[], T>(action: (...args: A) => Promise<T>) {
  const pending = ref(false);
  const error = ref<string | null>(null);
  async function run(...args: A): Promise<T | undefined> {
    pending.value = true;
    error.value = null;
    try {
      return await action(...args);
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
      return undefined;
    } finally {
      pending.value = false;
    }
  }
  return { run, pending, error };
}
