import { describe, expect, it } from 'vitest';
import { createLogger, loadPrettyStream, requestLogger, runLogger } from './logger.ts';
import { formatPrettyLine } from './pretty-lines.ts';

const secret = 'sk-live-4f9a2c7e1b';
const quoted = 'pa"ss\\word-91';

/** A logger writing into an array, and the lines it wrote. */
function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    secrets: [secret, quoted],
    ...options,
    destination: { write: (line) => void lines.push(line) },
  });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('logger', () => {
  it('writes one JSON object per line at LOG_LEVEL and above, the level as a word', () => {
    const { logger, lines, parsed } = capture({ level: 'warn' });
    logger.info('not shown');
    logger.warn({ count: 2 }, 'shown');
    logger.error('also shown');
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.endsWith('\n'))).toBe(true);
    expect(parsed()[0]).toMatchObject({ level: 'warn', msg: 'shown', count: 2 });
    expect(typeof parsed()[0]?.['time']).toBe('number');
    expect(parsed()[1]).toMatchObject({ level: 'error', msg: 'also shown' });
  });

  it('silent logs nothing; debug and trace when asked', () => {
    const silent = capture({ level: 'silent' });
    silent.logger.fatal('nothing');
    expect(silent.lines).toEqual([]);
    const verbose = capture({ level: 'trace' });
    verbose.logger.trace('t');
    verbose.logger.debug('d');
    expect(verbose.parsed().map((line) => line['level'])).toEqual(['trace', 'debug']);
  });

  it('gives every line of a request its requestId, and of a run its runId and orgId', () => {
    const { logger, parsed } = capture();
    requestLogger(logger, 'req_1').info('handled');
    runLogger(logger, { id: 'run_1', orgId: 'org_1' }).info('stepped');
    expect(parsed()).toMatchObject([
      { requestId: 'req_1', msg: 'handled' },
      { runId: 'run_1', orgId: 'org_1', msg: 'stepped' },
    ]);
  });

  it('redacts credential-named fields at any depth', () => {
    const { logger, lines, parsed } = capture();
    logger.info(
      {
        req: { headers: { Authorization: 'Bearer abc.def', cookie: 'sid=1', accept: 'json' } },
        user: { password: 'hunter22', name: 'ada' },
        provider: { api_key: 'k-1', apiKey: 'k-2', 'x-api-key': 'k-3', refreshToken: 'r', token: 't' },
        list: [{ secret: 's' }],
      },
      'request',
    );
    const line = parsed()[0] ?? {};
    expect(line['req']).toEqual({
      headers: { Authorization: '[REDACTED]', cookie: '[REDACTED]', accept: 'json' },
    });
    expect(line['user']).toEqual({ password: '[REDACTED]', name: 'ada' });
    expect(Object.values(line['provider'] as object)).toEqual(Array(5).fill('[REDACTED]'));
    expect(line['list']).toEqual([{ secret: '[REDACTED]' }]);
    for (const value of ['abc.def', 'sid=1', 'hunter22', 'k-1', 'k-2', 'k-3'])
      expect(lines[0]).not.toContain(value);
  });

  it('redacts configured secret values wherever they appear: message, fields, errors, escaped, encoded', () => {
    const { logger, lines } = capture();
    logger.info({ note: `the key is ${secret}` }, `calling with ${secret}`);
    logger.error({ err: new Error(`provider said: bad key ${secret}`) }, 'failed');
    logger.warn({ password_hint: quoted, detail: { nested: [quoted] } }, 'quoted');
    logger.info({ url: `https://x.test/cb?next=${encodeURIComponent(`a ${secret}/`)}` }, 'encoded');
    logger.info({ raw: `${encodeURIComponent(quoted)}` }, 'percent-encoded');
    const text = lines.join('');
    expect(text).toContain('[REDACTED]');
    for (const form of [secret, quoted, JSON.stringify(quoted).slice(1, -1), encodeURIComponent(quoted)])
      expect(text).not.toContain(form);
    // The error is still there, with its stack: only the secret is gone.
    expect(text).toContain('provider said: bad key [REDACTED]');
    expect(text).toContain('"stack":');
  });

  it('cuts credential query parameters from URLs, keeping the others', () => {
    const { logger, parsed } = capture();
    logger.info({ url: '/v1/runs/r/ws?token=abc123&after=7&api_key=zz' }, 'upgrade');
    expect(parsed()[0]?.['url']).toBe('/v1/runs/r/ws?token=[REDACTED]&after=7&api_key=[REDACTED]');
  });

  it('survives cycles and very deep values', () => {
    const { logger, parsed } = capture();
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic['self'] = cyclic;
    let deep: Record<string, unknown> = { password: 'p' };
    for (let level = 0; level < 30; level += 1) deep = { inner: deep };
    logger.info({ cyclic, deep }, 'odd shapes');
    expect(parsed()[0]).toMatchObject({ cyclic: { name: 'a', self: '[Circular]' } });
    expect(JSON.stringify(parsed()[0])).not.toContain('"password":"p"');
  });

  it('pretty lines (built-in and pino-pretty) are redacted too', async () => {
    for (const pretty of [undefined, await loadPrettyStream({ colors: false })]) {
      const { logger, lines } = capture({ format: 'pretty', ...(pretty ? { pretty } : {}) });
      runLogger(logger, { id: 'run_9', orgId: 'org_9' }).info(
        { token: 'abc', detail: secret },
        `using ${secret}`,
      );
      const text = lines.join('');
      expect(text).toContain('run_9');
      expect(text).toContain('using [REDACTED]');
      expect(text).not.toContain(secret);
      expect(text).not.toContain('abc');
      expect(text.trimStart().startsWith('{')).toBe(false);
    }
  });

  it('the built-in pretty formatter shows time, level, message and fields', () => {
    const line = formatPrettyLine(
      JSON.stringify({
        level: 'warn',
        time: Date.UTC(2026, 0, 1, 12, 0, 1),
        msg: 'slow',
        runId: 'run_1',
        ms: 12,
      }),
      false,
    );
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}slow runId=run_1 ms=12\n$/);
    expect(formatPrettyLine('not json', false)).toBe('not json');
  });
});
