import type {
  AuditEntry,
  AuditLog,
  AuditRecord,
  SettingsStore,
  Organization,
  OrganizationStore,
} from '../ports/audit-log.ts';
import { stableStringify } from '../stable-json.ts';
import { copy } from './in-memory-run-store.ts';

/**
 * A small non-cryptographic hash (two FNV-1a lanes, 64 bits of hex) — enough for a fake's chain;
 * the real store uses sha256.
 */
export function fakeHash(text: string): string {
  let first = 0x811c9dc5;
  let second = 0xcbf29ce4;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    first = Math.imul(first ^ code, 0x01000193) >>> 0;
    second = Math.imul(second ^ code ^ (first >>> 7), 0x01000193) >>> 0;
  }
  return first.toString(16).padStart(8, '0') + second.toString(16).padStart(8, '0');
}

const entryHash = (prevHash: string, entry: AuditEntry): string =>
  fakeHash(
    prevHash +
      stableStringify({
        orgId: entry.orgId,
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        detail: entry.detail,
        at: entry.at,
      }),
  );

/** An in-memory, hash-chained {@link AuditLog}. */
export class InMemoryAuditLog implements AuditLog {
  readonly #records: AuditRecord[] = [];

  async append(entry: AuditEntry): Promise<AuditRecord> {
    const previous = this.#records.filter((record) => record.orgId === entry.orgId).at(-1);
    const prevHash = previous?.hash ?? '';
    const record: AuditRecord = {
      ...copy(entry),
      id: this.#records.length + 1,
      prevHash,
      hash: entryHash(prevHash, entry),
    };
    this.#records.push(record);
    return copy(record);
  }

  async list(filter: {
    orgId: string;
    action?: string;
    target?: string;
    limit?: number;
    afterId?: number;
  }): Promise<AuditRecord[]> {
    return this.#records
      .filter(
        (record) =>
          record.orgId === filter.orgId &&
          (filter.action === undefined || record.action === filter.action) &&
          (filter.target === undefined || record.target === filter.target) &&
          (filter.afterId === undefined || record.id > filter.afterId),
      )
      .slice(0, filter.limit ?? 100)
      .map(copy);
  }

  async verify(orgId: string): Promise<number | null> {
    let prevHash = '';
    for (const record of this.#records) {
      if (record.orgId !== orgId) continue;
      if (record.prevHash !== prevHash || entryHash(prevHash, record) !== record.hash) return record.id;
      prevHash = record.hash;
    }
    return null;
  }

  /** Test hook: overwrites a stored record in place, to check that `verify` notices. */
  tamper(id: number, change: Partial<AuditEntry>): void {
    const record = this.#records.find((item) => item.id === id);
    if (record !== undefined) Object.assign(record, change);
  }
}

/** An in-memory {@link SettingsStore}. */
export class InMemorySettingsStore implements SettingsStore {
  readonly #values = new Map<string, string>();

  async get(key: string): Promise<string | undefined> {
    return this.#values.get(key);
  }

  async setIfAbsent(key: string, value: string): Promise<string> {
    const existing = this.#values.get(key);
    if (existing !== undefined) return existing;
    this.#values.set(key, value);
    return value;
  }

  async set(key: string, value: string): Promise<void> {
    this.#values.set(key, value);
  }
}

/** An in-memory {@link OrganizationStore}. */
export class InMemoryOrganizationStore implements OrganizationStore {
  readonly #organizations = new Map<string, Organization>();

  async ensure(organization: Organization): Promise<Organization> {
    const existing = this.#organizations.get(organization.id);
    if (existing) return { ...existing };
    this.#organizations.set(organization.id, { ...organization });
    return { ...organization };
  }

  async get(id: string): Promise<Organization | undefined> {
    const found = this.#organizations.get(id);
    return found ? { ...found } : undefined;
  }
}
