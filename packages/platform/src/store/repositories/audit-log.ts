/**
 * The append-only audit log, hash-chained per organization: `hash = sha256(prevHash + stableStringify(entry))`,
 * core's key-sorted JSON. Appends of one organization are serialized by a transaction-scoped advisory
 * lock, so concurrent appends never fork the chain.
 *
 * Group commit: appends that arrive while a batch is being written wait for the next one, and a batch
 * takes each organization's lock once and commits once. Under concurrent requests the chain's lock is
 * then paid per batch, not per entry (otherwise it caps every mutating route at one commit at a time).
 * Each append still resolves only once its entry is committed.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditLog, AuditRecord } from '@autonoma/core';
import { stableStringify, storableValue } from '@autonoma/core';
import { sql, type SQL } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { jsonText, toNumber } from './values.ts';

/**
 * The text of an entry that its hash covers: its fields as core's key-sorted JSON (keys sorted at every
 * level, so jsonb's key reordering does not change hashes).
 */
export const auditText = (entry: AuditEntry): string =>
  stableStringify({
    orgId: entry.orgId,
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    detail: entry.detail,
    at: entry.at,
  });

/**
 * The hash of an entry chained after `prevHash`: the hex sha256 of `prevHash + auditText(entry)` in
 * UTF-8 (what `encode(sha256(convert_to(prev_hash || text, 'UTF8')), 'hex')` computes in SQL).
 */
export const auditHash = (prevHash: string, entry: AuditEntry): string =>
  createHash('sha256')
    .update(prevHash + auditText(entry))
    .digest('hex');

const recordFromRow = (row: Record<string, unknown>): AuditRecord => ({
  id: toNumber(row.id),
  orgId: String(row.org_id),
  actor: String(row.actor),
  action: String(row.action),
  target: String(row.target),
  detail: row.detail as Record<string, unknown>,
  at: toNumber(row.at),
  prevHash: String(row.prev_hash),
  hash: String(row.hash),
});

const lockOrg = (orgId: string): SQL =>
  sql`SELECT pg_advisory_xact_lock(hashtextextended(${`audit:${orgId}`}, 0))`;

/** An append waiting for its batch. */
interface PendingAppend {
  entry: AuditEntry;
  resolve(record: AuditRecord): void;
  reject(error: unknown): void;
}

/** Entries one batch writes at most. */
const batchLimit = 256;

/** Writes `entries` in one transaction, chained per organization in their order; records in that order. */
async function writeBatch(db: Executor, entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
  return db.transaction(async (tx) => {
    const records = new Array<AuditRecord>(entries.length);
    // Locks in a fixed order, so two processes' batches never wait on each other in a cycle.
    const orgIds = [...new Set(entries.map((entry) => entry.orgId))].sort();
    for (const orgId of orgIds) {
      await tx.execute(lockOrg(orgId));
      const last = await queryRows(
        tx,
        sql`SELECT hash FROM audit_log WHERE org_id = ${orgId} ORDER BY id DESC LIMIT 1`,
      );
      let prevHash = last[0] === undefined ? '' : String(last[0].hash);
      for (const [index, entry] of entries.entries()) {
        if (entry.orgId !== orgId) continue;
        const hash = auditHash(prevHash, entry);
        const rows = await queryRows(
          tx,
          sql`INSERT INTO audit_log (org_id, actor, action, target, detail, at, prev_hash, hash)
              VALUES (${entry.orgId}, ${entry.actor}, ${entry.action}, ${entry.target},
                ${jsonText(entry.detail)}::jsonb, ${entry.at}::bigint, ${prevHash}, ${hash})
              RETURNING *`,
        );
        const row = rows[0];
        if (row === undefined) throw new Error('audit insert returned no row');
        records[index] = recordFromRow(row);
        prevHash = hash;
      }
    }
    return records;
  });
}

/** Creates the {@link AuditLog} over an {@link Executor}. */
export function createAuditLog(db: Executor): AuditLog {
  const pending: PendingAppend[] = [];
  let writing = false;
  const drain = async (): Promise<void> => {
    writing = true;
    try {
      while (pending.length > 0) {
        const batch = pending.splice(0, batchLimit);
        try {
          const records = await writeBatch(
            db,
            batch.map((item) => item.entry),
          );
          batch.forEach((item, index) => item.resolve(records[index] as AuditRecord));
        } catch (error) {
          // The batch's transaction rolled back: none of its entries is in the log.
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      writing = false;
    }
  };
  return {
    async append(input) {
      // Cleaned before hashing, so the stored entry is exactly the hashed one.
      const entry = storableValue(input);
      return new Promise<AuditRecord>((resolve, reject) => {
        pending.push({ entry, resolve, reject });
        if (!writing) void drain();
      });
    },
    async list(filter) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM audit_log WHERE org_id = ${filter.orgId}
              ${filter.action === undefined ? sql`` : sql`AND action = ${filter.action}`}
              ${filter.target === undefined ? sql`` : sql`AND target = ${filter.target}`}
              ${filter.afterId === undefined ? sql`` : sql`AND id > ${filter.afterId}::bigint`}
            ORDER BY id LIMIT ${filter.limit ?? 100}`,
      );
      return rows.map(recordFromRow);
    },

    async verify(orgId) {
      let prevHash = '';
      let afterId = 0;
      for (;;) {
        const rows = await queryRows(
          db,
          sql`SELECT * FROM audit_log WHERE org_id = ${orgId} AND id > ${afterId}::bigint ORDER BY id LIMIT 1000`,
        );
        if (rows.length === 0) return null;
        for (const row of rows) {
          const record = recordFromRow(row);
          if (record.prevHash !== prevHash || auditHash(prevHash, record) !== record.hash) return record.id;
          prevHash = record.hash;
          afterId = record.id;
        }
      }
    },
  };
}
