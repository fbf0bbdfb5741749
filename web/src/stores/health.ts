import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

export interface DependencyCheck {
  ok: boolean;
  latencyMs: number;
  detail?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: Record<string, DependencyCheck>;
}

/** The platform's health as the API reports it (GET /health), refreshed by the caller. */
export const useHealthStore = defineStore('health', () => {
  const report = ref<HealthReport | null>(null);
  const error = ref<string | null>(null);
  const checkedAt = ref<Date | null>(null);

  const dependencies = computed(() =>
    Object.entries(report.value?.checks ?? {}).map(([name, check]) => ({ name, ...check })),
  );

  async function refresh(now: Date): Promise<void> {
    try {
      const response = await fetch('/health');
      report.value = (await response.json()) as HealthReport;
      error.value = null;
    } catch (err) {
      error.value = `API unreachable: ${err instanceof Error ? err.message : String(err)}`;
    }
    checkedAt.value = now;
  }

  return { report, error, checkedAt, dependencies, refresh };
});
