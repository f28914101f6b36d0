import { defineTool } from '@autonoma/core';
import type { JavaScriptResult } from '../sandbox/quickjs-runner.ts';
import type { BuiltinToolOptions } from './options.ts';
import { strictInput, textField } from './schema.ts';

const input = strictInput({ code: textField('code', 200_000) });

/**
 * `code_run {code}`: JavaScript in a QuickJS WebAssembly isolate with no host access. The value is the last
 * expression, a top-level `return`, or a module's default export, as JSON. Guest errors and limit hits come
 * back in `error` next to the captured logs. Idempotent: it has no effect outside the isolate.
 */
export function createCodeRunTool(options: BuiltinToolOptions) {
  const timeoutMs = options.code?.timeoutMs ?? 2000;
  return defineTool({
    name: 'code_run',
    description:
      'Run JavaScript in an isolated sandbox (no I/O, no network, no modules). Returns the last expression value and console output.',
    input,
    idempotent: true,
    risk: 'medium',
    timeoutMs: timeoutMs + 5000,
    // QuickJS (a WebAssembly module) is loaded on the first call, not when the process starts.
    execute: async ({ code }, context): Promise<JavaScriptResult> => {
      const { runJavaScript } = await import('../sandbox/quickjs-runner.ts');
      return runJavaScript(code, options.code, context.signal);
    },
  });
}
