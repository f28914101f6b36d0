/**
 * How accounts look through the API: users without their password hash, API keys without their hash
 * (the key itself appears once, in the answer that created it), and the token pair of a sign-in.
 * Response schemas are objects that drop unknown fields, so nothing else can leak into an answer.
 */
import type { ApiKey, User } from '@autonoma/core';
import { roles } from '@autonoma/core';
import { z } from 'zod';
import { passwordLength } from '../../security/passwords.ts';

const time = z.number().describe('milliseconds since the epoch, UTC');
/** A role in an organization. */
export const RoleSchema = z.enum(roles);

/** A user. */
export const UserView = z
  .object({
    id: z.string(),
    email: z.string(),
    role: RoleSchema,
    disabled: z.boolean(),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'User' });
/** A user as clients see it. */
export type UserView = z.infer<typeof UserView>;

/** The client view of a user. */
export const toUserView = (user: User): UserView => ({
  id: user.id,
  email: user.email,
  role: user.role,
  disabled: user.disabled,
  createdAt: user.createdAt,
  updatedAt: user.updatedAt,
});

const Password = z.string().min(passwordLength.min).max(passwordLength.max);

/** `POST /v1/users`. */
export const CreateUserBody = z.strictObject({
  email: z.string().min(3).max(320),
  password: Password.describe(`${passwordLength.min} to ${passwordLength.max} characters`),
  role: RoleSchema.default('viewer'),
});

/** `PATCH /v1/users/:id`: at least one change. */
export const UpdateUserBody = z
  .strictObject({
    role: RoleSchema.optional(),
    disabled: z.boolean().optional().describe('a disabled user cannot sign in; its sessions end'),
    password: Password.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'nothing to change' });

/** An API key, without its secret. */
export const ApiKeyView = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe('the first characters of the key, to tell keys apart'),
    role: RoleSchema,
    createdBy: z.string().nullable().describe('the user who created it'),
    createdAt: time,
    lastUsedAt: time.nullable().describe('updated at most once a minute'),
    expiresAt: time.nullable(),
    revokedAt: time.nullable(),
  })
  .meta({ id: 'ApiKey' });
/** An API key as clients see it. */
export type ApiKeyView = z.infer<typeof ApiKeyView>;

/** The client view of an API key. */
export const toApiKeyView = (key: ApiKey): ApiKeyView => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  role: key.role,
  createdBy: key.createdBy,
  createdAt: key.createdAt,
  lastUsedAt: key.lastUsedAt,
  expiresAt: key.expiresAt,
  revokedAt: key.revokedAt,
});

/** The answer that created a key: the only time `key` is shown. */
export const CreatedApiKeyView = ApiKeyView.extend({
  key: z.string().describe('`ak_…`: send it as `Authorization: Bearer ak_…`; it is never shown again'),
});

/** `POST /v1/api-keys`. */
export const CreateApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: RoleSchema.describe('no higher than the creator’s'),
  expiresAt: z.number().int().positive().optional().describe('epoch ms; default: never'),
});

/** `POST /v1/auth/login`. */
export const LoginBody = z.strictObject({
  email: z.string().min(1).max(320),
  password: z.string().min(1).max(4096),
});

/** `POST /v1/auth/refresh`. */
export const RefreshBody = z.strictObject({ refreshToken: z.string().min(1).max(4096) });

/** What a sign-in or a refresh answers (ARCHITECTURE §8). */
export const TokenPairView = z
  .object({
    accessToken: z.string().describe('send as `Authorization: Bearer …`'),
    refreshToken: z.string().describe('single use: `POST /v1/auth/refresh` answers a new pair'),
    expiresIn: z.number().int().describe('seconds the access token is valid'),
  })
  .meta({ id: 'TokenPair' });

/** `GET /v1/auth/me`. */
export const MeView = z
  .object({
    orgId: z.string(),
    actor: z.string().describe('as recorded in the audit log: `user:<id>`, `key:<id>`, `local`'),
    role: RoleSchema,
    credential: z.enum(['user', 'api-key', 'local', 'other']),
    user: UserView.optional(),
  })
  .meta({ id: 'Me' });
