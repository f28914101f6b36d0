/**
 * API keys of an organization: created with a role no higher than the creator's, shown once (only a
 * hash is stored), listed without any secret, revoked for good.
 */
import type { ApiKey, ApiKeyStore, AuditLog, Clock, IdGenerator, Role, Scope } from '@autonoma/core';
import { AutonomaError, notFound, roleAtLeast } from '@autonoma/core';
import { keyPrefix, newSecret, secretHash } from '../security/credentials.ts';
import type { Caller, RequestOrigin } from './caller.ts';
import { originDetail } from './caller.ts';

/** What the API key service needs. */
export interface ApiKeyServiceDeps {
  apiKeys: ApiKeyStore;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
}

/** A new key. */
export interface NewApiKeyInput {
  name: string;
  role: Role;
  /** Epoch ms after which the key stops working. @default never */
  expiresAt?: number;
}

/** API keys of the caller's organization. */
export class ApiKeyService {
  readonly #deps: ApiKeyServiceDeps;

  constructor(deps: ApiKeyServiceDeps) {
    this.#deps = deps;
  }

  /** Creates a key; the answer's `key` is the only time the secret is ever shown. */
  async create(
    caller: Caller,
    input: NewApiKeyInput,
    origin?: RequestOrigin,
  ): Promise<{ apiKey: ApiKey; key: string }> {
    const deps = this.#deps;
    if (!roleAtLeast(caller.role, input.role))
      throw new AutonomaError('forbidden', `a ${caller.role} cannot create a key with role ${input.role}`, {
        category: 'user',
      });
    const now = deps.clock.now();
    if (input.expiresAt !== undefined && input.expiresAt <= now)
      throw new AutonomaError('invalid_input', 'body.expiresAt: must be in the future', { category: 'user' });
    const key = newSecret('ak');
    const createdBy = caller.scope.actor.startsWith('user:')
      ? caller.scope.actor.slice('user:'.length)
      : null;
    const apiKey = await deps.apiKeys.create({
      id: deps.ids.next('key'),
      orgId: caller.scope.orgId,
      name: input.name,
      prefix: keyPrefix(key),
      keyHash: secretHash(key),
      role: input.role,
      createdBy,
      expiresAt: input.expiresAt ?? null,
      now,
    });
    await deps.audit.append({
      orgId: caller.scope.orgId,
      actor: caller.scope.actor,
      action: 'apikey.create',
      target: apiKey.id,
      detail: { name: apiKey.name, role: apiKey.role, prefix: apiKey.prefix, ...originDetail(origin) },
      at: now,
    });
    return { apiKey, key };
  }

  /** The organization's keys, oldest first, revoked ones included. */
  list(scope: Scope): Promise<ApiKey[]> {
    return this.#deps.apiKeys.list(scope.orgId);
  }

  /** Revokes a key: it stops working at its next request. */
  async revoke(caller: Caller, id: string, origin?: RequestOrigin): Promise<ApiKey> {
    const deps = this.#deps;
    const existing = (await deps.apiKeys.list(caller.scope.orgId)).find((key) => key.id === id);
    if (!existing) throw notFound('API key', id);
    if (!roleAtLeast(caller.role, existing.role))
      throw new AutonomaError(
        'forbidden',
        `a ${caller.role} cannot revoke a key with role ${existing.role}`,
        {
          category: 'user',
        },
      );
    const now = deps.clock.now();
    const revoked = await deps.apiKeys.revoke(caller.scope.orgId, id, now);
    if (!revoked) throw notFound('API key', id);
    await deps.audit.append({
      orgId: caller.scope.orgId,
      actor: caller.scope.actor,
      action: 'apikey.revoke',
      target: id,
      detail: { ...originDetail(origin) },
      at: now,
    });
    return revoked;
  }
}
