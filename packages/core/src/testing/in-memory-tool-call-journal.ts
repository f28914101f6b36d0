import type { ToolCallJournal, ToolCallRecord } from '../ports/run-store.ts';
import type { Lease } from '../protocol/run.ts';
import { copy, fencedError, type InMemoryRunStore } from './in-memory-run-store.ts';

/** An in-memory {@link ToolCallJournal}, fenced by the leases of an {@link InMemoryRunStore}. */
export class InMemoryToolCallJournal implements ToolCallJournal {
  readonly #calls = new Map<string, ToolCallRecord>();
  readonly #runs: InMemoryRunStore;

  constructor(runs: InMemoryRunStore) {
    this.#runs = runs;
    // Completions in a step commit are applied with the commit, like the SQL store's single statement.
    runs.onCommit((runId, commit) => {
      for (const completion of commit.toolCalls ?? []) {
        const call = this.#calls.get(completion.key);
        if (call === undefined || call.runId !== runId) continue;
        call.status = completion.status;
        call.result = copy(completion.result ?? null);
        call.updatedAt = completion.now;
      }
    });
  }

  async begin(
    lease: Lease,
    record: Omit<ToolCallRecord, 'result' | 'updatedAt'>,
  ): Promise<{ record: ToolCallRecord; created: boolean }> {
    if (!this.#runs.holds(lease)) throw fencedError(lease);
    const existing = this.#calls.get(record.key);
    if (existing !== undefined) return { record: copy(existing), created: false };
    const stored: ToolCallRecord = {
      ...copy(record),
      args: copy(record.args ?? null),
      runId: lease.runId,
      result: null,
      updatedAt: record.createdAt,
    };
    this.#calls.set(record.key, stored);
    return { record: copy(stored), created: true };
  }

  async get(key: string): Promise<ToolCallRecord | undefined> {
    return copy(this.#calls.get(key));
  }

  async listForRun(runId: string): Promise<ToolCallRecord[]> {
    return [...this.#calls.values()]
      .filter((call) => call.runId === runId)
      .sort((a, b) => a.step - b.step || a.callIndex - b.callIndex)
      .map(copy);
  }

  async resolve(
    key: string,
    from: ToolCallRecord['status'],
    to: ToolCallRecord['status'],
    result: unknown,
    now: number,
  ): Promise<boolean> {
    const call = this.#calls.get(key);
    if (call === undefined || call.status !== from) return false;
    call.status = to;
    call.result = copy(result ?? null);
    call.updatedAt = now;
    return true;
  }
}
