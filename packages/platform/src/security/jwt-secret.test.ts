import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jwtSecretFile, resolveJwtSecret } from './jwt-secret.ts';

describe('the JWT signing key', () => {
  it('is generated on the first embedded start, kept 0600 in a 0700 directory, and the same afterwards', async () => {
    const home = mkdtempSync(join(tmpdir(), 'autonoma-jwt-'));
    const [first, concurrent] = await Promise.all([
      resolveJwtSecret({ configured: undefined, embedded: true, home }),
      resolveJwtSecret({ configured: undefined, embedded: true, home }),
    ]);
    expect(first).toMatch(/^[A-Za-z0-9_-]{64}$/);
    // Two first starts at once agree on one key.
    expect(concurrent).toBe(first);
    expect(statSync(jwtSecretFile(home)).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'secrets')).mode & 0o777).toBe(0o700);
    expect(await resolveJwtSecret({ configured: undefined, embedded: true, home })).toBe(first);
    // Another home has another key.
    const other = mkdtempSync(join(tmpdir(), 'autonoma-jwt-'));
    expect(await resolveJwtSecret({ configured: undefined, embedded: true, home: other })).not.toBe(first);
  });

  it('is AUTONOMA_JWT_SECRET when configured; a cluster without it has none (sign-in off)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'autonoma-jwt-'));
    const configured = 'c'.repeat(40);
    expect(await resolveJwtSecret({ configured, embedded: true, home })).toBe(configured);
    expect(await resolveJwtSecret({ configured: undefined, embedded: false, home })).toBeUndefined();
  });
});
