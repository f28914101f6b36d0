import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/store/index.ts';

const secret = 'sup3r-s3cret';
const directories: string[] = [];
afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

const failure = async (promise: Promise<unknown>): Promise<{ code?: string; message: string }> => {
  const error: unknown = await promise.then(
    () => new Error('expected a failure'),
    (caught: unknown) => caught,
  );
  return error as { code?: string; message: string };
};

describe('createDatabase bad input', () => {
  it.each([
    `not a url with ${secret}`,
    `mysql://root:${secret}@localhost/db`,
    `postgres://user:${secret}@/db`,
  ])('names DATABASE_URL for a malformed URL (%#)', async (url) => {
    const error = await failure(createDatabase({ kind: 'postgres', url }));
    expect(error.code).toBe('invalid_config');
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).not.toContain(secret);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('says which host and port it cannot reach, without the password', async () => {
    const error = await failure(
      createDatabase({ kind: 'postgres', url: `postgres://user:${secret}@127.0.0.1:1/db` }),
    );
    expect(error.code).toBe('dependency_unavailable');
    expect(error.message).toBe('cannot reach PostgreSQL at 127.0.0.1:1: ECONNREFUSED');
  });

  it('names a data directory that cannot be written', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'autonoma-bad-dir-'));
    directories.push(parent);
    const file = join(parent, 'a-file');
    await writeFile(file, 'not a directory');
    const directory = join(file, 'data');
    const error = await failure(createDatabase({ kind: 'pglite', dir: directory }));
    expect(error.code).toBe('invalid_config');
    expect(error.message).toContain(directory);
    // A directory under a file cannot even be created; the message says so, with the error code.
    expect(error.message).toMatch(/is not usable: cannot create .*\(ENOTDIR\)$/);
  });
});
