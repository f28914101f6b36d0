import { AutonomaError, describeError } from '@autonoma/core';

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** True when stderr is a terminal (live progress). */
  readonly tty: boolean;
}

/** The process's output streams. */
export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  tty: Boolean(process.stderr.isTTY),
};

/** Exit code for a failed command: 2 for bad input, 1 otherwise. */
export function exitCodeFor(error: unknown): number {
  return error instanceof AutonomaError && error.category === 'user' ? 2 : 1;
}

/** One line describing an error for a person: never a stack trace. */
export function errorLine(error: unknown): string {
  if (error instanceof AutonomaError) return error.message;
  return describeError(error);
}
