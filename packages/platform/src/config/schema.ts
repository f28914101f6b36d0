import { z } from 'zod';
import { otlpProtocols, tracesSamplers } from '../observability/tracing-types.ts';

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
  /** TCP port of `autonoma serve` (0: any free port). @default 8080 */
  port: integer(0, 65535).default(8080),
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
  /**
   * How deep runs may delegate: a run at this depth cannot start children (a user's run is at depth 0).
   * Also what stops an agent that delegates to itself in a cycle. @default 3
   */
  maxDelegationDepth: integer(0, 20).default(3),
  /** Child runs one step may start. @default 10 */
  maxChildrenPerStep: integer(1, 100).default(10),
  /**
   * How long a run's lease lasts without renewal (renewed every third of it). A process that dies
   * holding it blocks the run this long unless it is known dead sooner (same host, or a worker whose
   * registry heartbeat stopped). @default 30000; `autonoma worker`: 10000
   */
  leaseTtlMs: integer(1000, 3_600_000).optional(),
  /** Steps a worker advances a run by before it yields the run back to the queue. @default 8 */
  sliceSteps: integer(1, 10_000).default(8),
  /** An organization's cap on runs in flight (jobs sent or active) unless it sets its own. @default 100 */
  orgMaxRunsInFlight: integer(1, 1_000_000).default(100),
  /** Queues `autonoma worker` serves (`--queues`). @default every queue */
  workerQueues: csv.default(['critical', 'high', 'normal', 'low']),
  /** Slices `autonoma worker` advances at once (`--concurrency`). @default 10 */
  workerConcurrency: integer(1, 10_000).default(10),
  /**
   * How long a job a worker took stays its own without renewal (renewed every third of it): a dead
   * worker's jobs go to another worker this long after its last renewal. @default 5000
   */
  jobLockMs: integer(500, 600_000).default(5000),
  /** How long a worker stopping on SIGTERM waits for its slices to drain before it exits. @default 30000 */
  shutdownGraceMs: integer(0, 3_600_000).default(30_000),
  /**
   * Names the BullMQ queues (`<prefix>-critical` … `<prefix>-low`), so deployments can share a Redis.
   * @default 'autonoma'
   */
  queuePrefix: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1–64)')
    .default('autonoma'),
  jwtSecret: z.string().min(32).optional(),
  /**
   * Proxies in front of the server that append to `X-Forwarded-For`: the client address is the one
   * this many hops from the right. 0 trusts no header (a forged one gains nothing). @default 0
   */
  trustProxyHops: integer(0, 10).default(0),
  /**
   * Browser origins allowed to call the API cross-origin (`https://app.example.org`); each is echoed only
   * when it is listed, never `*`. Empty: CORS is off. @default []
   */
  corsOrigins: csv
    .pipe(
      z.array(
        z
          .string()
          .regex(
            /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/,
            "each must be an origin such as 'https://app.example.org' (no '*', no path)",
          ),
      ),
    )
    .default([]),
  /** Requests per minute of one user or API key (0: no limit). @default 1200 */
  rateLimitPerMinute: integer(0, 10_000_000).default(1200),
  /** Requests per minute from one client address (0: no limit). @default 2400 */
  rateLimitPerIpPerMinute: integer(0, 10_000_000).default(2400),
  /** An organization's quota of runs queued or running; creates beyond it answer 429. @default 1000 */
  orgRunQuota: integer(1, 10_000_000).default(1000),
  /**
   * Where `autonoma login` keeps its tokens (mode 0600).
   * @default '~/.config/autonoma/credentials.json'
   */
  credentialsFile: z.string().min(1).optional(),
  /** A server URL the CLI talks to instead of the embedded store (`--server`). */
  server: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  /** The bearer token the CLI sends to `server`. Never a flag: a token on argv is visible to every user. */
  token: z.string().min(1).optional(),
  /** @default 'info' */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  otelEndpoint: z.string().url().optional(),
  /** Turns OpenTelemetry off even with an endpoint set (`true`: no SDK is loaded). @default false */
  otelSdkDisabled: flag.default(false),
  /** `service.name` of the exported spans. @default 'autonoma' */
  otelServiceName: z.string().min(1).default('autonoma'),
  /**
   * Which traces are recorded and exported (OpenTelemetry's standard samplers: `always_on`, `always_off`,
   * `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`).
   * @default 'parentbased_always_on'
   */
  otelTracesSampler: z
    .enum(tracesSamplers, { error: `expected one of ${tracesSamplers.join(', ')}` })
    .default('parentbased_always_on'),
  /** The share of traces the ratio samplers keep, 0..1 (ignored by the others). @default 1 */
  otelTracesSamplerArg: z.coerce
    .number({ error: 'expected a ratio between 0 and 1' })
    .min(0, { error: 'expected a ratio between 0 and 1' })
    .max(1, { error: 'expected a ratio between 0 and 1' })
    .optional(),
  /** The OTLP/HTTP encoding of exported spans (gRPC is not supported). @default 'http/protobuf' */
  otelExporterProtocol: z
    .enum(otlpProtocols, { error: `expected one of ${otlpProtocols.join(', ')} (gRPC is not supported)` })
    .default('http/protobuf'),
  /** The longest a finished span waits before its batch is exported, ms. @default 1000 */
  otelBspScheduleDelayMs: integer(1, 600_000).optional(),
  /** Spans buffered for export at most (more are dropped while the collector lags). @default 8192 */
  otelBspMaxQueueSize: integer(1, 1_000_000).optional(),
  /** Spans per OTLP request; an export starts as soon as this many wait. @default 2048 */
  otelBspMaxExportBatchSize: integer(1, 1_000_000).optional(),
  /** Time limit of one export, ms. @default 10000 */
  otelBspExportTimeoutMs: integer(1, 600_000).optional(),
  /**
   * Log line format: `json`, `pretty` (human-readable), or `auto` — pretty when the log stream is a
   * terminal, JSON otherwise. @default 'auto'
   */
  logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** Serve `/metrics` on this port, on all interfaces, in `autonoma serve` and `autonoma worker`. */
  metricsPort: integer(1, 65535).optional(),
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
  maxDelegationDepth: 'AUTONOMA_MAX_DELEGATION_DEPTH',
  maxChildrenPerStep: 'AUTONOMA_MAX_CHILDREN',
  leaseTtlMs: 'AUTONOMA_LEASE_TTL_MS',
  sliceSteps: 'AUTONOMA_SLICE_STEPS',
  orgMaxRunsInFlight: 'AUTONOMA_ORG_MAX_RUNS',
  workerQueues: 'AUTONOMA_WORKER_QUEUES',
  workerConcurrency: 'AUTONOMA_WORKER_CONCURRENCY',
  shutdownGraceMs: 'AUTONOMA_SHUTDOWN_GRACE_MS',
  jobLockMs: 'AUTONOMA_JOB_LOCK_MS',
  queuePrefix: 'AUTONOMA_QUEUE_PREFIX',
  jwtSecret: 'AUTONOMA_JWT_SECRET',
  trustProxyHops: 'AUTONOMA_TRUST_PROXY_HOPS',
  corsOrigins: 'AUTONOMA_CORS_ORIGINS',
  rateLimitPerMinute: 'AUTONOMA_RATE_LIMIT',
  rateLimitPerIpPerMinute: 'AUTONOMA_RATE_LIMIT_IP',
  orgRunQuota: 'AUTONOMA_ORG_RUN_QUOTA',
  credentialsFile: 'AUTONOMA_CREDENTIALS_FILE',
  server: 'AUTONOMA_SERVER',
  token: 'AUTONOMA_TOKEN',
  logLevel: 'LOG_LEVEL',
  otelEndpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  otelSdkDisabled: 'OTEL_SDK_DISABLED',
  otelServiceName: 'OTEL_SERVICE_NAME',
  otelTracesSampler: 'OTEL_TRACES_SAMPLER',
  otelTracesSamplerArg: 'OTEL_TRACES_SAMPLER_ARG',
  otelExporterProtocol: 'OTEL_EXPORTER_OTLP_PROTOCOL',
  otelBspScheduleDelayMs: 'OTEL_BSP_SCHEDULE_DELAY',
  otelBspMaxQueueSize: 'OTEL_BSP_MAX_QUEUE_SIZE',
  otelBspMaxExportBatchSize: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  otelBspExportTimeoutMs: 'OTEL_BSP_EXPORT_TIMEOUT',
  logFormat: 'AUTONOMA_LOG_FORMAT',
  metricsPort: 'METRICS_PORT',
});

/** Keys whose values are secrets: masked by `doctor`, redacted from logs, events and errors. */
export const secretKeys: readonly ConfigKey[] = [
  'modelApiKey',
  'openaiApiKey',
  'anthropicApiKey',
  'serpApiKey',
  'jwtSecret',
  'token',
];

/** Keys holding URLs whose password part is a secret. */
export const urlKeys: readonly ConfigKey[] = ['databaseUrl', 'redisUrl'];
