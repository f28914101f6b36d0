import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tracingOptionsOf } from '../observability/tracing.ts';
import { loadConfig } from './load-config.ts';
import { maskUrl, maskValue, secretValues } from './mask.ts';

const directoryWith = (file?: unknown): string => {
  const directory = mkdtempSync(join(tmpdir(), 'autonoma-config-'));
  if (file !== undefined)
    writeFileSync(
      join(directory, 'autonoma.config.json'),
      typeof file === 'string' ? file : JSON.stringify(file),
    );
  return directory;
};

describe('loadConfig', () => {
  it('applies flag > env > file > default and reports each source', () => {
    const cwd = directoryWith({ port: 9000, host: '0.0.0.0', home: '/from-file' });
    const { config, sources } = loadConfig({
      cwd,
      env: { PORT: '9100', AUTONOMA_HOME: '/from-env' },
      flags: { home: '/from-flag' },
    });
    expect(config.home).toBe('/from-flag');
    expect(config.port).toBe(9100);
    expect(config.host).toBe('0.0.0.0');
    expect(config.logLevel).toBe('info');
    expect(sources).toMatchObject({ home: 'flag', port: 'env', host: 'file', logLevel: 'default' });
  });

  it('is frozen', () => {
    const { config } = loadConfig({ cwd: directoryWith(), env: {} });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('parses AUTONOMA_HTTP_ALLOW as a comma-separated list', () => {
    const { config } = loadConfig({
      cwd: directoryWith(),
      env: { AUTONOMA_HTTP_ALLOW: '127.0.0.1, example.test:8080 ,10.0.0.0/8' },
    });
    expect(config.httpAllow).toEqual(['127.0.0.1', 'example.test:8080', '10.0.0.0/8']);
  });

  it('parses AUTONOMA_ALLOW_UNSANDBOXED as true/1 or false/0, off by default', () => {
    const allow = (value?: string) =>
      loadConfig({
        cwd: directoryWith(),
        env: value === undefined ? {} : { AUTONOMA_ALLOW_UNSANDBOXED: value },
      }).config.allowUnsandboxed;
    expect(allow()).toBe(false);
    expect(allow('true')).toBe(true);
    expect(allow('1')).toBe(true);
    expect(allow('false')).toBe(false);
    expect(allow('0')).toBe(false);
    expect(
      loadConfig({ cwd: directoryWith({ allowUnsandboxed: true }), env: {} }).config.allowUnsandboxed,
    ).toBe(true);
    for (const value of ['yes', 'TRUE', 'on']) {
      expect(() => allow(value)).toThrow(
        /'allowUnsandboxed' \(env AUTONOMA_ALLOW_UNSANDBOXED\) from AUTONOMA_ALLOW_UNSANDBOXED/,
      );
    }
  });

  it('names the key and the variable of an invalid value, in one line', () => {
    expect(() => loadConfig({ cwd: directoryWith(), env: { PORT: 'eighty' } })).toThrow(
      /'port' \(env PORT\) from PORT/,
    );
    expect(() => loadConfig({ cwd: directoryWith(), env: { LOG_LEVEL: 'loud' } })).toThrow(
      /'logLevel' \(env LOG_LEVEL\)/,
    );
    try {
      loadConfig({ cwd: directoryWith(), env: { PORT: '70000' } });
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
      expect(error).toMatchObject({ code: 'invalid_config' });
    }
  });

  it('reads the OpenTelemetry sampler, protocol and batch variables, and refuses invalid ones in one line', () => {
    const defaults = loadConfig({ cwd: directoryWith(), env: {} }).config;
    expect(tracingOptionsOf(defaults)).toEqual({
      serviceName: 'autonoma',
      sampler: { name: 'parentbased_always_on' },
      protocol: 'http/protobuf',
      batch: {},
    });
    const { config } = loadConfig({
      cwd: directoryWith(),
      env: {
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '500',
        OTEL_BSP_MAX_QUEUE_SIZE: '1000',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '100',
        OTEL_BSP_EXPORT_TIMEOUT: '3000',
      },
    });
    expect(tracingOptionsOf(config)).toEqual({
      serviceName: 'autonoma',
      sampler: { name: 'parentbased_traceidratio', ratio: 0.25 },
      protocol: 'http/json',
      batch: { scheduledDelayMs: 500, maxQueueSize: 1000, maxExportBatchSize: 100, exportTimeoutMs: 3000 },
    });
    for (const [env, named] of [
      [{ OTEL_TRACES_SAMPLER: 'sometimes' }, /'otelTracesSampler' \(env OTEL_TRACES_SAMPLER\)/],
      [{ OTEL_TRACES_SAMPLER: 'AlwaysOn' }, /'otelTracesSampler' \(env OTEL_TRACES_SAMPLER\)/],
      [
        { OTEL_TRACES_SAMPLER_ARG: '1.5' },
        /'otelTracesSamplerArg' \(env OTEL_TRACES_SAMPLER_ARG\).*between 0 and 1/,
      ],
      [{ OTEL_TRACES_SAMPLER_ARG: '-0.1' }, /'otelTracesSamplerArg' \(env OTEL_TRACES_SAMPLER_ARG\)/],
      [{ OTEL_TRACES_SAMPLER_ARG: 'half' }, /'otelTracesSamplerArg' \(env OTEL_TRACES_SAMPLER_ARG\)/],
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /OTEL_EXPORTER_OTLP_PROTOCOL.*gRPC is not supported/],
      [{ OTEL_BSP_MAX_QUEUE_SIZE: '0' }, /'otelBspMaxQueueSize' \(env OTEL_BSP_MAX_QUEUE_SIZE\)/],
    ] as const) {
      let message = '';
      try {
        loadConfig({ cwd: directoryWith(), env });
      } catch (error) {
        message = (error as Error).message;
        expect(error).toMatchObject({ code: 'invalid_config' });
      }
      expect(message).toMatch(named);
      expect(message).not.toContain('\n');
    }
  });

  it('rejects an unknown key and a wrong type in the config file, naming them', () => {
    expect(() => loadConfig({ cwd: directoryWith({ prot: 1 }), env: {} })).toThrow(/unknown key 'prot'/);
    expect(() => loadConfig({ cwd: directoryWith({ port: 'x' }), env: {} })).toThrow(
      /'port' \(env PORT\) in autonoma.config.json/,
    );
    expect(() => loadConfig({ cwd: directoryWith('{ not json'), env: {} })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ cwd: directoryWith([1, 2]), env: {} })).toThrow(/must hold a JSON object/);
  });

  it('fails when an explicitly named file is missing', () => {
    expect(() => loadConfig({ cwd: directoryWith(), env: {}, file: 'missing.json' })).toThrow(
      /cannot read configuration file .*missing.json: ENOENT/,
    );
  });
});

describe('masking', () => {
  it('masks secrets and URL passwords', () => {
    expect(maskValue('openaiApiKey', 'sk-abcdefghijklmnop')).toBe('****op');
    expect(maskValue('databaseUrl', 'postgres://app:hunter2secret@db:5432/x')).toBe(
      'postgres://app:****@db:5432/x',
    );
    expect(maskUrl('not a url')).not.toContain('not a url');
  });

  it('collects every secret value for redaction', () => {
    const { config } = loadConfig({
      cwd: directoryWith(),
      env: { OPENAI_API_KEY: 'sk-canary-1234', DATABASE_URL: 'postgres://u:p%40ssword1@h/db' },
    });
    expect(secretValues(config)).toEqual(expect.arrayContaining(['sk-canary-1234', 'p@ssword1']));
  });
});
