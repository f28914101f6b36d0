/**
 * `/openapi.json` is a valid OpenAPI 3.1 document (checked against the OpenAPI Initiative's published
 * schema for 3.1, `fixtures/openapi-3.1-schema.json`, 2022-10-07, Apache-2.0) that lists every route,
 * with the contract's paths (ARCHITECTURE §8); `/docs` serves the browsable documentation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHarness } from './api-harness.ts';
import { as, startApi } from './api-harness.ts';

/** Every route the API serves: `METHOD path` in OpenAPI's path syntax (ARCHITECTURE §8, Contract). */
const expectedOperations = [
  'GET /healthz',
  'GET /readyz',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'POST /v1/auth/logout',
  'GET /v1/auth/me',
  'POST /v1/auth/session',
  'POST /v1/auth/session/refresh',
  'POST /v1/auth/session/logout',
  'GET /v1/users',
  'POST /v1/users',
  'GET /v1/users/{id}',
  'PATCH /v1/users/{id}',
  'DELETE /v1/users/{id}',
  'GET /v1/api-keys',
  'POST /v1/api-keys',
  'DELETE /v1/api-keys/{id}',
  'GET /v1/agents',
  'POST /v1/agents',
  'GET /v1/agents/{name}',
  'PUT /v1/agents/{name}',
  'DELETE /v1/agents/{name}',
  'POST /v1/runs',
  'GET /v1/runs',
  'GET /v1/runs/{id}',
  'GET /v1/runs/stats',
  'POST /v1/runs/{id}/cancel',
  'POST /v1/runs/{id}/approvals/{callId}',
  'POST /v1/runs/{id}/input',
  'GET /v1/runs/{id}/events',
  'GET /v1/runs/{id}/ws',
  'GET /v1/runs/{id}/explanation',
  'POST /v1/runs/{id}/replay',
  'POST /v1/conversations',
  'GET /v1/conversations',
  'GET /v1/conversations/{id}',
  'POST /v1/conversations/{id}/messages',
  'DELETE /v1/conversations/{id}',
  'GET /v1/schedules',
  'POST /v1/schedules',
  'GET /v1/schedules/{id}',
  'POST /v1/schedules/{id}/pause',
  'POST /v1/schedules/{id}/resume',
  'DELETE /v1/schedules/{id}',
  'GET /v1/memories',
  'GET /v1/memories/search',
  'GET /v1/memories/plans',
  'DELETE /v1/memories/{id}',
  'GET /v1/jobs',
  'GET /v1/jobs/{id}',
  'POST /v1/jobs/{id}/retry',
  'GET /v1/workers',
  'GET /v1/organization',
  'PATCH /v1/organization',
  'GET /v1/audit',
  'GET /v1/audit/verify',
  'GET /v1/tools',
];

/** The `/v1` routes that take no credential: signing in and renewing a session. */
const publicV1Operations = new Set([
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'POST /v1/auth/session',
  'POST /v1/auth/session/refresh',
]);

type Operation = {
  security?: unknown[];
  responses?: Record<string, unknown>;
  parameters?: { name: string; in: string }[];
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; security?: unknown[] };

describe('the OpenAPI document', () => {
  let harness: ApiHarness;
  let document: Document;

  beforeAll(async () => {
    harness = await startApi('pglite');
    const response = await harness.api.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    document = response.json() as Document;
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('is valid OpenAPI 3.1', () => {
    // Ajv does not resolve this schema's `$dynamicRef: "#meta"` (the dialect of a schema object) as
    // the specification means; the static reference to the same definition does.
    const text = readFileSync(join(import.meta.dirname, 'fixtures/openapi-3.1-schema.json'), 'utf8');
    const schema = JSON.parse(
      text.replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"'),
    ) as object;
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    const validate = ajv.compile(schema);
    const valid = validate(document);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it('lists every route, and only those', () => {
    const listed = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(listed.sort()).toEqual([...expectedOperations].sort());
    // …and each is a route the server really has (a document listing a route it lacks is wrong too).
    for (const operation of expectedOperations) {
      const [method, path] = operation.split(' ') as [string, string];
      const url = path.replace(/\{(\w+)\}/g, ':$1');
      expect(harness.api.hasRoute({ method: method as 'GET', url }), operation).toBe(true);
    }
  });

  it('declares path parameters, responses, and which routes need a bearer token', () => {
    expect(document.security).toEqual([{ bearer: [] }]);
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(Object.keys(operation.responses ?? {}), where).not.toHaveLength(0);
        for (const [, name] of path.matchAll(/\{(\w+)\}/g))
          expect(
            operation.parameters?.some((parameter) => parameter.in === 'path' && parameter.name === name),
            `${where} ${name}`,
          ).toBe(true);
        // Public routes say so; every other /v1 route inherits the document's bearer requirement.
        if (path.startsWith('/v1/') && !publicV1Operations.has(where))
          expect(operation.security, where).toBeUndefined();
        else expect(operation.security, where).toEqual([]);
      }
    }
  });

  it('documents the same status codes the routes answer', async () => {
    const create = document.paths['/v1/runs']?.['post'];
    expect(Object.keys(create?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '201', '4XX', '5XX']),
    );
    // And a route answers what it documents.
    const response = await harness.api.inject({
      method: 'POST',
      url: '/v1/runs',
      headers: as('owner'),
      payload: { goal: 'documented' },
    });
    expect(response.statusCode).toBe(201);
  });

  it('serves /docs without credentials', async () => {
    const docs = await harness.api.inject({ url: '/docs' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/^text\/html/);
    expect(docs.body).toContain('swagger-ui');
  });
});
