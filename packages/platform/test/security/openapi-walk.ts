/** The routes of the OpenAPI document, for the suites that walk every route. */
import type { Api } from '../../src/api/routes/route-deps.ts';

/** One operation: its method and its path in OpenAPI syntax (`/v1/runs/{id}`). */
export interface Operation {
  method: string;
  path: string;
  /** Names of its query parameters. */
  query: string[];
}

/** Every operation the server documents. */
export async function operationsOf(api: Api): Promise<Operation[]> {
  const response = await api.inject({ url: '/openapi.json' });
  const document = response.json<{
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  }>();
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      query: (operation.parameters ?? [])
        .filter((parameter) => parameter.in === 'query')
        .map((parameter) => parameter.name),
    })),
  );
}

/** `/v1/runs/{id}` with its parameters filled from `values` (every parameter must have one). */
export function fillPath(path: string, values: (name: string, path: string) => string): string {
  return path.replace(/\{(\w+)\}/g, (_match, name: string) => encodeURIComponent(values(name, path)));
}
