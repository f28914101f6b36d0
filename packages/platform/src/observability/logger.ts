/**
 * The process logger: pino, one JSON object per line (level as a word, time in epoch ms, `msg`), at
 * `LOG_LEVEL`; human-readable lines on a terminal (`AUTONOMA_LOG_FORMAT=auto`, the default). Secrets are
 * redacted by field name and by value (see log-redaction.ts). Lines about a request carry `requestId`,
 * lines about a run carry `runId` and `orgId`: take a child with {@link requestLogger} or
 * {@link runLogger}.
 */
import type { DestinationStream, Logger as PinoLogger, LoggerOptions as PinoOptions } from 'pino';
import { pino, stdSerializers } from 'pino';
import { lineScrubber, redactSecretFields } from './log-redaction.ts';
import { prettyLines } from './pretty-lines.ts';

/** The logger every part of the platform takes (pino's; Fastify accepts it as `loggerInstance`). */
export type Logger = PinoLogger;

/** Log levels, most verbose first (`silent` logs nothing). */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** A log level. */
export type LogLevel = (typeof logLevels)[number];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** @default 'info' */
  level?: LogLevel;
  /** Secret values to scrub from every line (`secretValues(config)`). @default [] */
  secrets?: readonly string[];
  /** `json` lines, or `pretty` lines for a person. @default 'json' */
  format?: 'json' | 'pretty';
  /** Where lines go. @default stdout */
  destination?: DestinationStream;
  /** Fields every line carries (e.g. `{ service: 'autonoma-worker' }`). @default none */
  base?: Record<string, unknown>;
  /**
   * Formats a pretty line (pino-pretty's, when it is installed: see {@link loadPrettyStream}).
   * @default the built-in formatter
   */
  pretty?: (destination: DestinationStream) => DestinationStream;
}

/** A destination that writes to a Node stream (stdout by default). */
const streamDestination = (stream: NodeJS.WritableStream): DestinationStream => ({
  write: (line) => void stream.write(line),
});

/** Builds a logger (synchronously; pino-pretty, when wanted, is loaded by {@link loggerFor}). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const scrub = lineScrubber(options.secrets ?? []);
  const destination = options.destination ?? streamDestination(process.stdout);
  const format = options.format ?? 'json';
  const stream =
    format === 'pretty' ? (options.pretty ?? prettyLines({ colors: false }))(destination) : destination;
  const settings: PinoOptions = {
    level: options.level ?? 'info',
    base: options.base ?? {},
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.epochTime,
    serializers: { err: stdSerializers.err, error: stdSerializers.err },
    formatters: {
      level: (label) => ({ level: label }),
      // Runs only for lines at an enabled level: a disabled debug line costs nothing here.
      log: (object) => redactSecretFields(object),
      bindings: (bindings) => redactSecretFields(bindings),
    },
    hooks: { streamWrite: scrub },
  };
  return pino(settings, stream);
}

/** A child logger for one HTTP request: every line carries `requestId`. */
export const requestLogger = (logger: Logger, requestId: string): Logger => logger.child({ requestId });

/** A child logger for one run: every line carries `runId` and `orgId`. */
export const runLogger = (logger: Logger, run: { id: string; orgId: string }): Logger =>
  logger.child({ runId: run.id, orgId: run.orgId });

/** A logger that drops everything (for processes that were given none). */
export const silentLogger = (): Logger => pino({ level: 'silent' });

/**
 * pino-pretty as a pretty-line formatter, when it is installed (a development dependency: absent from
 * production images, where the built-in formatter is used instead).
 */
export async function loadPrettyStream(options: {
  colors: boolean;
}): Promise<((destination: DestinationStream) => DestinationStream) | undefined> {
  try {
    const { prettyFactory } = await import('pino-pretty');
    const format = prettyFactory({
      colorize: options.colors,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    });
    return (destination) => ({
      write: (line) => {
        for (const part of line.split('\n')) if (part !== '') destination.write(format(part));
      },
    });
  } catch {
    return undefined;
  }
}
