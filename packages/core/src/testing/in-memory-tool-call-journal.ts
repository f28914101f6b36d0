import type { ToolCallJournal, ToolCallRecord } from '../ports/run-store.ts';
import type { Lease } from '../protocol/run.ts';
import { copy, fencedError, refuseUnstorable, type InMemoryRunStore } from './in-memory-run-store.ts';

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
    refuseUnstorable(record);
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

  #visible(orgId: string, key: string): ToolCallRecord | undefined {
    const call = this.#calls.get(key);
    return call !== undefined && this.#runs.orgOf(call.runId) === orgId ? call : undefined;
  }

  async get(orgId: string, key: string): Promise<ToolCallRecord | undefined> {
    return copy(this.#visible(orgId, key));
  }

  async listForRun(orgId: string, runId: string): Promise<ToolCallRecord[]> {
    if (this.#runs.orgOf(runId) !== orgId) return [];
    return [...this.#calls.values()]
      .filter((call) => call.runId === runId)
      .sort((a, b) => a.step - b.step || a.callIndex - b.callIndex)
      .map(copy);
  }

  async pending(orgId: string, runId: string, step: number): Promise<ToolCallRecord[]> {
    return (await this.listForRun(orgId, runId)).filter(
      (call) =>
        (call.step === step && ['started', 'succeeded', 'failed'].includes(call.status)) ||
        call.status === 'approved',
    );
  }

  async resolve(
    orgId: string,
    key: string,
    change: { from: ToolCallRecord['status']; to: ToolCallRecord['status']; result: unknown; now: number },
  ): Promise<boolean> {
    refuseUnstorable(change.result);
    const call = this.#visible(orgId, key);
    if (call === undefined || call.status !== change.from) return false;
    call.status = change.to;
    call.result = copy(change.result ?? null);
    call.updatedAt = change.now;
    return true;
  }
}
