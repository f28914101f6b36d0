import { z } from 'zod';

const csv = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
      : value,
  z.array(z.string()),
);
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A switch: a boolean, or from the environment `true`/`1` and `false`/`0`; anything else is an error. */
const flag = z.union(
  [z.boolean(), z.enum(['true', '1', 'false', '0']).transform((value) => value === 'true' || value === '1')],
  { error: "expected 'true', '1', 'false' or '0'" },
);

/** Every setting of Autonoma: one zod schema, parsed once, frozen, passed down. */
export const ConfigSchema = z.strictObject({
  /** Data directory of the embedded mode. @default './.autonoma' */
  home: z.string().min(1).default('./.autonoma'),
  /** PostgreSQL URL (cluster mode). Absent: the embedded PGlite store under `home`. */
  databaseUrl: z.string().optional(),
  /** Redis URL (cluster mode). */
  redisUrl: z.string().optional(),
  /** @default 8080 */
  port: integer(1, 65535).default(8080),
  /** @default '127.0.0.1' */
  host: z.string().min(1).default('127.0.0.1'),
  /** `<provider>:<model>`. Absent: the offline planner brain. */
  model: z.string().optional(),
  modelBaseUrl: z.string().url().optional(),
  modelApiKey: z.string().optional(),
  openaiApiKey: z.string().optional(),
  anthropicApiKey: z.string().optional(),
  /** Time limit of one model call. @default 60000 */
  modelTimeoutMs: integer(100, 3_600_000).default(60_000),
  /** Retries of a failed model call. @default 3 */
  modelMaxRetries: integer(0, 10).default(3),
  /** Price overrides, USD per million tokens: `{ "openai:gpt-x": { "input": 1, "output": 2 } }`. */
  modelPrices: z
    .record(z.string(), z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() }))
    .default({}),
  embeddingModel: z.string().optional(),
  serpApiKey: z.string().optional(),
  /** SerpAPI-compatible endpoint. @default 'https://serpapi.com' */
  serpApiBaseUrl: z.string().url().optional(),
  /** Hosts, host:port or CIDRs `http_request` may reach despite the SSRF guard. @default [] */
  httpAllow: csv.default([]),
  /**
   * Let `shell_exec` and MCP stdio servers run without a sandbox where bubblewrap is unavailable; they
   * then see the whole host, Autonoma's home included. @default false
   */
  allowUnsandboxed: flag.default(false),
  jwtSecret: z.string().min(32).optional(),
  /** @default 'info' */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  otelEndpoint: z.string().url().optional(),
});

/** The parsed configuration. */
export type Config = Readonly<z.infer<typeof ConfigSchema>>;
/** A configuration key. */
export type ConfigKey = keyof z.infer<typeof ConfigSchema>;

/** The environment variable of each key (ARCHITECTURE §9, Contract). */
export const environmentNames: Readonly<Partial<Record<ConfigKey, string>>> = Object.freeze({
  home: 'AUTONOMA_HOME',
  databaseUrl: 'DATABASE_URL',
  redisUrl: 'REDIS_URL',
  port: 'PORT',
  host: 'HOST',
  model: 'AUTONOMA_MODEL',
  modelBaseUrl: 'AUTONOMA_MODEL_BASE_URL',
  modelApiKey: 'AUTONOMA_MODEL_API_KEY',
  openaiApiKey: 'OPENAI_API_KEY',
  anthropicApiKey: 'ANTHROPIC_API_KEY',
  modelTimeoutMs: 'AUTONOMA_MODEL_TIMEOUT_MS',
  modelMaxRetries: 'AUTONOMA_MODEL_MAX_RETRIES',
  embeddingModel: 'AUTONOMA_EMBEDDING_MODEL',
  serpApiKey: 'SERPAPI_API_KEY',
  serpApiBaseUrl: 'SERPAPI_BASE_URL',
  httpAllow: 'AUTONOMA_HTTP_ALLOW',
  allowUnsandboxed: 'AUTONOMA_ALLOW_UNSANDBOXED',
  jwtSecret: 'AUTONOMA_JWT_SECRET',
  logLevel: 'LOG_LEVEL',
  otelEndpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
});

/** Keys whose values are secrets: masked by `doctor`, redacted from logs, events and errors. */
export const secretKeys: readonly ConfigKey[] = [
  'modelApiKey',
  'openaiApiKey',
  'anthropicApiKey',
  'serpApiKey',
  'jwtSecret',
];

/** Keys holding URLs whose password part is a secret. */
export const urlKeys: readonly ConfigKey[] = ['databaseUrl', 'redisUrl'];
