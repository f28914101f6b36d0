/** Where the queue, relay, sweeper and workers report what operators should know. Shaped like pino's. */
export interface JobLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Drops everything. */
export const silentLogger: JobLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * One JSON line per message on `write` (stderr by default), at `level` and above — what a process
 * supervisor or a log shipper expects from a long-running worker.
 */
export function createLineLogger(options: {
  level: string;
  name: string;
  write?: (line: string) => void;
}): JobLogger {
  const threshold = levels.indexOf(options.level as (typeof levels)[number]);
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log =
    (level: 'info' | 'warn' | 'error') =>
    (fields: Record<string, unknown>, message: string): void => {
      if (threshold < 0 || levels.indexOf(level) < threshold) return;
      write(JSON.stringify({ level, time: Date.now(), name: options.name, msg: message, ...fields }));
    };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
