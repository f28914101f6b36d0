/** The AuditLog and SettingsStore contracts. */
import type { AuditEntry } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { uniqueId, type StoreHarness } from './fixtures.ts';

/** Registers the AuditLog contract under `AuditLog [name]`. */
export function describeAuditLogContract(name: string, harness: StoreHarness): void {
  describe(`AuditLog [${name}]`, () => {
    const entry = (orgId: string, index: number): AuditEntry => ({
      orgId,
      actor: 'user_1',
      action: index % 2 === 0 ? 'tool.call' : 'login',
      target: `run_${index}`,
      detail: { index, nested: { z: 1, a: [1, 'two'] } },
      at: 1_000 + index,
    });

    it('chains each record to the previous one and verifies', async () => {
      const { audit } = harness.stores();
      const orgId = uniqueId('org');
      const first = await audit.append(entry(orgId, 0));
      const second = await audit.append(entry(orgId, 1));
      expect(first.prevHash).toBe('');
      expect(second.prevHash).toBe(first.hash);
      expect(second.id).toBeGreaterThan(first.id);
      expect(second).toMatchObject(entry(orgId, 1));
      expect(await audit.verify(orgId)).toBeNull();
      expect(await audit.verify(uniqueId('org'))).toBeNull();
    });

    it('never forks the chain under concurrent appends', async () => {
      const { audit } = harness.stores();
      const orgId = uniqueId('org');
      await Promise.all(Array.from({ length: 10 }, (_, index) => audit.append(entry(orgId, index))));
      const records = await audit.list({ orgId });
      expect(records).toHaveLength(10);
      expect(new Set(records.map((record) => record.prevHash)).size).toBe(10);
      expect(await audit.verify(orgId)).toBeNull();
    });

    it('batches concurrent appends of several organizations: each chain intact, each caller its own record', async () => {
      const { audit } = harness.stores();
      const orgs = [uniqueId('org'), uniqueId('org')];
      const appended = await Promise.all(
        Array.from({ length: 40 }, (_, index) => audit.append(entry(orgs[index % 2] ?? '', index))),
      );
      appended.forEach((record, index) => expect(record).toMatchObject(entry(orgs[index % 2] ?? '', index)));
      for (const orgId of orgs) {
        const records = await audit.list({ orgId, limit: 100 });
        expect(records).toHaveLength(20);
        expect(records.map((record) => record.prevHash).slice(1)).toEqual(
          records.map((record) => record.hash).slice(0, -1),
        );
        expect(await audit.verify(orgId)).toBeNull();
      }
    });

    it('filters and pages the list', async () => {
      const { audit } = harness.stores();
      const orgId = uniqueId('org');
      for (let index = 0; index < 5; index += 1) await audit.append(entry(orgId, index));
      const logins = await audit.list({ orgId, action: 'login' });
      expect(logins.map((record) => record.target)).toEqual(['run_1', 'run_3']);
      expect(await audit.list({ orgId, target: 'run_2' })).toHaveLength(1);
      const page = await audit.list({ orgId, limit: 2 });
      const next = await audit.list({ orgId, limit: 2, afterId: page.at(-1)?.id });
      expect([...page, ...next].map((record) => record.target)).toEqual(['run_0', 'run_1', 'run_2', 'run_3']);
    });

    it('reports the first tampered record', async () => {
      const { audit } = harness.stores();
      const orgId = uniqueId('org');
      const records = [];
      for (let index = 0; index < 3; index += 1) records.push(await audit.append(entry(orgId, index)));
      const target = records[1];
      if (target === undefined) throw new Error('missing record');
      await harness.tamperAudit(target.id, 'rewritten');
      expect(await audit.verify(orgId)).toBe(target.id);
    });
  });
}

/** Registers the SettingsStore contract under `SettingsStore [name]`. */
export function describeSettingsStoreContract(name: string, harness: StoreHarness): void {
  describe(`SettingsStore [${name}]`, () => {
    it('sets once with setIfAbsent, even concurrently, and overwrites with set', async () => {
      const { settings } = harness.stores();
      const key = uniqueId('jwt_secret');
      expect(await settings.get(key)).toBeUndefined();
      const values = await Promise.all(['a', 'b', 'c'].map((value) => settings.setIfAbsent(key, value)));
      expect(new Set(values).size).toBe(1);
      expect(await settings.get(key)).toBe(values[0]);
      await settings.set(key, 'z');
      expect(await settings.get(key)).toBe('z');
      expect(await settings.setIfAbsent(key, 'y')).toBe('z');
    });
  });
}
