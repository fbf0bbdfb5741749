// Bundled by bench/temporal-floor.ts only: not one of the platform's workflows.

/** A workflow that does nothing: what Temporal alone costs to start one, run its one task and return. */
export async function emptyWorkflow(): Promise<void> {}
