/**
 * High-entropy credentials the server makes: API keys (`ak_…`) and refresh tokens (`rt_…`), 256 random
 * bits each. Only their sha256 is stored: a fast hash is enough for secrets nobody chose, and lets a
 * key be found by its hash in one indexed lookup.
 */
import { createHash, randomBytes } from 'node:crypto';

/** A new secret with `prefix`: `ak_<43 base64url characters>`. */
export const newSecret = (prefix: 'ak' | 'rt'): string =>
  `${prefix}_${randomBytes(32).toString('base64url')}`;

/** The stored form of a secret. */
export const secretHash = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** The part of an API key shown to tell keys apart: `ak_` and 6 characters (36 of its 256 bits). */
export const keyPrefix = (key: string): string => key.slice(0, 9);

/** True for a string shaped like an API key. */
export const looksLikeApiKey = (value: string): boolean => /^ak_[A-Za-z0-9_-]{43}$/.test(value);

/** True for a string shaped like a refresh token. */
export const looksLikeRefreshToken = (value: string): boolean => /^rt_[A-Za-z0-9_-]{43}$/.test(value);
