/**
 * Access tokens: JSON Web Tokens with exactly one algorithm, HS256, and one key. Whatever the header
 * claims — `alg: none`, RS256, a `jku`, `x5u`, `jwk` or `kid` — the signature is checked with that key
 * and HMAC-SHA256 only; nothing is ever fetched. Written on node:crypto (about as long as configuring
 * a library to refuse everything but this, and with the clock injected like every other time).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Issuer and audience of every access token. */
export const tokenIssuer = 'autonoma';
const audience = 'autonoma-api';

/** What an access token says: who (`sub`), in which organization, in which session. */
export interface AccessClaims {
  /** The user id. */
  sub: string;
  /** The organization id. */
  org: string;
  /** The session (refresh-token family) the token belongs to: revoking it ends the token. */
  sid: string;
  /** Issued at, not before, expires: seconds since the epoch. */
  iat: number;
  nbf: number;
  exp: number;
  jti: string;
}

const Header = z.object({ alg: z.literal('HS256'), typ: z.literal('JWT').optional() });
const Payload = z.object({
  iss: z.literal(tokenIssuer),
  aud: z.literal(audience),
  typ: z.literal('access'),
  sub: z.string().min(1).max(200),
  org: z.string().min(1).max(200),
  sid: z.string().min(1).max(200),
  iat: z.number().int(),
  nbf: z.number().int(),
  exp: z.number().int(),
  jti: z.string().min(1).max(200),
});

const base64url = /^[A-Za-z0-9_-]+$/;
const encode = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const sign = (key: Buffer, input: string): Buffer => createHmac('sha256', key).update(input).digest();

const parsePart = (part: string): unknown => {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
};

/** Signs and verifies access tokens with one secret. */
export interface AccessTokens {
  sign(claims: AccessClaims): string;
  /**
   * The claims of a valid token at `nowMs`, allowing `skewSeconds` of clock difference on `exp`, `nbf`
   * and `iat`; undefined for anything else (malformed, another algorithm, a bad signature, expired).
   */
  verify(token: string, nowMs: number): AccessClaims | undefined;
}

/** Access tokens signed with `secret` (at least 32 characters). @default skew 60 s */
export function createAccessTokens(secret: string, skewSeconds = 60): AccessTokens {
  const key = Buffer.from(secret, 'utf8');
  return {
    sign(claims) {
      const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ iss: tokenIssuer, aud: audience, typ: 'access', ...claims })}`;
      return `${input}.${sign(key, input).toString('base64url')}`;
    },
    verify(token, nowMs) {
      const parts = token.split('.');
      if (parts.length !== 3 || !parts.every((part) => base64url.test(part))) return undefined;
      const [header, payload, signature] = parts as [string, string, string];
      if (!Header.safeParse(parsePart(header)).success) return undefined;
      const expected = sign(key, `${header}.${payload}`);
      const presented = Buffer.from(signature, 'base64url');
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
      const claims = Payload.safeParse(parsePart(payload));
      if (!claims.success) return undefined;
      const now = nowMs / 1000;
      const { exp, nbf, iat } = claims.data;
      if (exp <= now - skewSeconds || nbf > now + skewSeconds || iat > now + skewSeconds) return undefined;
      const { sub, org, sid, jti } = claims.data;
      return { sub, org, sid, iat, nbf, exp, jti };
    },
  };
}
