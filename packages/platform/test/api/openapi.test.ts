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

/** Every route the API serves: `METHOD path` in OpenAPI's path syntax. */
const expectedOperations = [
  'GET /healthz',
  'GET /readyz',
  'GET /v1/agents',
  'POST /v1/agents',
  'GET /v1/agents/{name}',
  'PUT /v1/agents/{name}',
  'DELETE /v1/agents/{name}',
  'POST /v1/runs',
  'GET /v1/runs',
  'GET /v1/runs/{id}',
  'POST /v1/runs/{id}/cancel',
  'POST /v1/runs/{id}/approvals/{callId}',
  'GET /v1/runs/{id}/events',
  'GET /v1/runs/{id}/ws',
  'GET /v1/runs/{id}/explanation',
  'GET /v1/memories',
  'GET /v1/memories/search',
  'DELETE /v1/memories/{id}',
  'GET /v1/audit',
  'GET /v1/audit/verify',
  'GET /v1/tools',
];

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
        // Public routes say so; every /v1 route inherits the document's bearer requirement.
        if (path.startsWith('/v1/')) expect(operation.security, where).toBeUndefined();
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
