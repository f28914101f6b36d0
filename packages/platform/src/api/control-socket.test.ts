import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  controlSocketPath,
  maxSocketPathBytes,
  readControlRecord,
  removeControlRecord,
  writeControlRecord,
} from './control-socket.ts';

describe('the control socket of a home', () => {
  it('lies under the home when the path fits a Unix socket', () => {
    expect(controlSocketPath('/srv/autonoma')).toBe('/srv/autonoma/control/api.sock');
  });

  it('moves to a directory named by a hash of the home under the temporary directory when too long', () => {
    const home = `/srv/${'deep/'.repeat(30)}autonoma`;
    const path = controlSocketPath(home);
    expect(path.startsWith(tmpdir())).toBe(true);
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(maxSocketPathBytes);
    expect(controlSocketPath(home)).toBe(path);
    expect(controlSocketPath(`${home}2`)).not.toBe(path);
  });

  it('records the endpoint owner-only, and removes only its own record', async () => {
    const home = mkdtempSync(join(tmpdir(), 'autonoma-control-'));
    expect(await readControlRecord(home)).toBeUndefined();
    await writeControlRecord(home, { pid: 4242, kind: 'serve', socket: '/x/api.sock', token: 'lc_secret' });
    expect(statSync(join(home, 'control.json')).mode & 0o777).toBe(0o600);
    expect(await readControlRecord(home)).toEqual({
      pid: 4242,
      kind: 'serve',
      socket: '/x/api.sock',
      token: 'lc_secret',
    });
    await removeControlRecord(home, 1);
    expect(await readControlRecord(home)).toBeDefined();
    await removeControlRecord(home, 4242);
    expect(await readControlRecord(home)).toBeUndefined();
  });
});
