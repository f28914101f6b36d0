import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import YAML from 'yaml';

/** The repository root. */
export const repositoryRoot = resolve(import.meta.dirname, '../../../..');
/** `deploy/` of the repository. */
export const deployDirectory = resolve(repositoryRoot, 'deploy');

/** A file under `deploy/`, as text. */
export function readDeployFile(relativePath: string): string {
  return readFileSync(resolve(deployDirectory, relativePath), 'utf8');
}

/**
 * Parses a YAML stream into its documents (empty documents dropped). YAML merge keys (`<<: *anchor`) are
 * resolved, as Compose and kubectl resolve them. A YAML error throws, naming the file.
 */
export function parseYamlDocuments(text: string, fileName: string): unknown[] {
  const documents = YAML.parseAllDocuments(text, { merge: true });
  const result: unknown[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`${fileName}: ${document.errors[0]?.message}`);
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) result.push(value);
  }
  return result;
}

/** Parses a single-document YAML file under `deploy/`. */
export function readDeployYaml(relativePath: string): unknown {
  const documents = parseYamlDocuments(readDeployFile(relativePath), relativePath);
  if (documents.length !== 1) throw new Error(`${relativePath}: expected one YAML document`);
  return documents[0];
}

/** A plain object (a YAML or JSON mapping). */
export type Mapping = Record<string, unknown>;

/** True for a plain object (a YAML or JSON mapping). */
export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The mapping at `value`, or an error naming `what`. */
export function asMapping(value: unknown, what: string): Mapping {
  if (!isMapping(value)) throw new Error(`${what}: expected a mapping`);
  return value;
}

/** The array at `value`, or an empty array when absent; an error naming `what` otherwise. */
export function asList(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list`);
  return value;
}

/**
 * Environment variable names Autonoma reads (ARCHITECTURE §9, Contract). Deployment files may set only
 * these, the configuration schema's own extras, `OTEL_*` (read by the OpenTelemetry SDK) and `NODE_ENV`.
 */
export const contractEnvironmentNames: readonly string[] = [
  'AUTONOMA_HOME',
  'DATABASE_URL',
  'REDIS_URL',
  'PORT',
  'HOST',
  'AUTONOMA_MODEL',
  'AUTONOMA_MODEL_BASE_URL',
  'AUTONOMA_MODEL_API_KEY',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'AUTONOMA_EMBEDDING_MODEL',
  'SERPAPI_API_KEY',
  'AUTONOMA_HTTP_ALLOW',
  'AUTONOMA_JWT_SECRET',
  'LOG_LEVEL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'AUTONOMA_SERVER',
  'METRICS_PORT',
];
