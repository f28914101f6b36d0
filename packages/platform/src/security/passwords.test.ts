import { describe, expect, it } from 'vitest';
import { checkNewPassword, createPasswordHasher, defaultPasswordCost } from './passwords.ts';

describe('password hashing', () => {
  it('stores argon2id PHC strings at the default cost, salted, and verifies only the right password', async () => {
    const hasher = createPasswordHasher();
    const first = await hasher.hash('correct horse battery');
    const second = await hasher.hash('correct horse battery');
    expect(first).toMatch(
      new RegExp(
        `^\\$argon2id\\$v=19\\$m=${defaultPasswordCost.memoryKib},t=${defaultPasswordCost.passes},p=1\\$`,
      ),
    );
    // A fresh salt each time: equal passwords do not give equal hashes.
    expect(second).not.toBe(first);
    expect(await hasher.verify(first, 'correct horse battery')).toBe(true);
    expect(await hasher.verify(first, 'correct horse batterY')).toBe(false);
    expect(await hasher.verify('not a hash', 'correct horse battery')).toBe(false);
    expect(await hasher.verifyNothing('correct horse battery')).toBe(false);
  });

  it('refuses passwords shorter than 12 or longer than 256 characters, naming the field', () => {
    expect(() => checkNewPassword('short')).toThrow('body.password: at least 12 characters');
    expect(() => checkNewPassword('x'.repeat(257), 'password')).toThrow('password: at most 256 characters');
    expect(() => checkNewPassword('twelve chars')).not.toThrow();
  });
});
