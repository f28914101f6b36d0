/**
 * Passwords, hashed with argon2id (`@node-rs/argon2`, prebuilt N-API: no compiler). Sign-in with an
 * unknown email verifies against a fixed dummy hash, so an unknown account costs as much time as a
 * wrong password and the two cannot be told apart by timing.
 */
import { hash, verify } from '@node-rs/argon2';
import { userError } from '@autonoma/core';

/** argon2id cost. @default OWASP's minimum: 19 MiB, 2 passes, 1 lane */
export interface PasswordCost {
  memoryKib: number;
  passes: number;
}

/** The cost sign-in uses unless told otherwise (OWASP Password Storage Cheat Sheet, argon2id). */
export const defaultPasswordCost: PasswordCost = { memoryKib: 19_456, passes: 2 };

/** Shortest and longest passwords accepted (longer ones only cost the server time). */
export const passwordLength = { min: 12, max: 256 } as const;

/** Hashes and verifies passwords. */
export interface PasswordHasher {
  /** An argon2id PHC string (`$argon2id$v=19$m=…`). */
  hash(password: string): Promise<string>;
  /** True when `password` matches `stored`; a malformed hash is a mismatch. */
  verify(stored: string, password: string): Promise<boolean>;
  /** Spends the time of one verification and answers false (for an unknown account). */
  verifyNothing(password: string): Promise<false>;
}

/** Throws `invalid_input` naming the rule a new password breaks. */
export function checkNewPassword(password: string, field = 'body.password'): void {
  if (password.length < passwordLength.min)
    throw userError('invalid_input', `${field}: at least ${passwordLength.min} characters`);
  if (password.length > passwordLength.max)
    throw userError('invalid_input', `${field}: at most ${passwordLength.max} characters`);
}

/** An argon2id hasher at `cost`. */
export function createPasswordHasher(cost: PasswordCost = defaultPasswordCost): PasswordHasher {
  const options = { memoryCost: cost.memoryKib, timeCost: cost.passes, parallelism: 1 };
  let dummy: Promise<string> | undefined;
  const check = async (stored: string, password: string): Promise<boolean> => {
    try {
      return await verify(stored, password);
    } catch {
      return false;
    }
  };
  return {
    hash: (password) => hash(password, options),
    verify: check,
    async verifyNothing(password) {
      // Made once, at the same cost, the first time an unknown account signs in.
      dummy ??= hash('no account has this password', options);
      await check(await dummy, password);
      return false;
    },
  };
}
