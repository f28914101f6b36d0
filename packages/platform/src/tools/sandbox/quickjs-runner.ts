import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten';
import { RELEASE_SYNC, newQuickJSWASMModule } from 'quickjs-emscripten';

/** Limits for one {@link runJavaScript} call. */
export interface JavaScriptLimits {
  /** Wall-clock budget enforced by QuickJS's interrupt handler. @default 2000 */
  timeoutMs?: number;
  /** Heap limit of the isolate. @default 33554432 (32 MiB) */
  memoryBytes?: number;
  /** Interpreter stack limit; kept well below the host's own stack. @default 262144 (256 KiB) */
  stackBytes?: number;
  /** Cap on captured console output and on the serialized result. @default 262144 (256 KiB) */
  maxOutputBytes?: number;
}

/** What a guest program produced. */
export interface JavaScriptResult {
  /** The JSON-serializable result: last expression, top-level `return`, or a module's default export. */
  value: unknown;
  /** `console.*` lines, formatted like `console.log` would. */
  logs: string[];
  /** True when logs hit the output cap. */
  logsTruncated: boolean;
  /** The guest error, when it threw or hit a limit. */
  error?: { name: string; message: string };
}

const looksLikeModule = (code: string): boolean => /^\s*(import\s*[{*\w'"]|export\s)/m.test(code);

function describeGuestError(
  context: QuickJSContext,
  handle: QuickJSHandle,
  limits: Required<JavaScriptLimits>,
) {
  const dumped: unknown = context.dump(handle);
  const record = typeof dumped === 'object' && dumped !== null ? (dumped as Record<string, unknown>) : {};
  const name = typeof record['name'] === 'string' ? record['name'] : 'Error';
  const message = typeof record['message'] === 'string' ? record['message'] : String(dumped);
  if (message === 'interrupted')
    return { name: 'TimeoutError', message: `stopped after ${limits.timeoutMs} ms` };
  if (message === 'out of memory')
    return { name, message: `out of memory (limit ${limits.memoryBytes} bytes)` };
  return { name, message };
}

function installConsole(context: QuickJSContext, sink: (line: string) => void): void {
  const consoleHandle = context.newObject();
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    const fn = context.newFunction(level, (...args) => {
      sink(
        args
          .map((arg) =>
            context.typeof(arg) === 'string' ? context.getString(arg) : JSON.stringify(context.dump(arg)),
          )
          .join(' '),
      );
    });
    context.setProp(consoleHandle, level, fn);
    fn.dispose();
  }
  context.setProp(context.global, 'console', consoleHandle);
  consoleHandle.dispose();
}

/** Settles a promise result by running the job queue; guest jobs stay under the interrupt handler. */
type Settled =
  { kind: 'value'; handle: QuickJSHandle } | { kind: 'error'; handle: QuickJSHandle } | { kind: 'never' };

function settle(context: QuickJSContext, runtime: QuickJSRuntime, handle: QuickJSHandle): Settled {
  for (;;) {
    const state = context.getPromiseState(handle);
    if (state.type === 'fulfilled') return { kind: 'value', handle: state.value };
    if (state.type === 'rejected') return { kind: 'error', handle: state.error };
    if (!runtime.hasPendingJob()) return { kind: 'never' };
    const jobs = runtime.executePendingJobs();
    if (jobs.error) return { kind: 'error', handle: jobs.error };
  }
}

function serialize(context: QuickJSContext, handle: QuickJSHandle, maxBytes: number): unknown {
  const json = context.getProp(context.global, 'JSON');
  const stringify = context.getProp(json, 'stringify');
  const result = context.callFunction(stringify, json, handle);
  json.dispose();
  stringify.dispose();
  if (result.error) {
    const message = JSON.stringify(context.dump(result.error));
    result.error.dispose();
    throw new Error(`result is not JSON-serializable: ${message}`);
  }
  const text = context.typeof(result.value) === 'string' ? context.getString(result.value) : undefined;
  result.value.dispose();
  if (text === undefined) return null;
  if (Buffer.byteLength(text) > maxBytes) throw new Error(`result is larger than ${maxBytes} bytes`);
  return JSON.parse(text) as unknown;
}

function evaluate(context: QuickJSContext, code: string) {
  const type = looksLikeModule(code) ? 'module' : 'global';
  const first = context.evalCode(code, 'code.js', { type });
  if (type === 'global' && first.error) {
    const dumped: unknown = context.dump(first.error);
    const message =
      typeof dumped === 'object' && dumped !== null ? (dumped as { message?: unknown }).message : '';
    // A top-level `return` is a syntax error in a script; nothing ran, so run it again as a function body.
    if (typeof message === 'string' && message.includes('return not in a function')) {
      first.error.dispose();
      return { type, result: context.evalCode(`(function () {\n${code}\n})()`, 'code.js', { type }) };
    }
  }
  return { type, result: first };
}

/**
 * Runs JavaScript in a fresh QuickJS WebAssembly isolate (a new module per call, so nothing leaks between
 * calls). The guest has the language built-ins and a captured `console`, and nothing else: no `process`,
 * `require`, module loader, `fetch`, timers or host objects. Time, heap and stack are bounded.
 */
export async function runJavaScript(
  code: string,
  limitOptions: JavaScriptLimits = {},
  signal?: AbortSignal,
): Promise<JavaScriptResult> {
  const limits: Required<JavaScriptLimits> = {
    timeoutMs: limitOptions.timeoutMs ?? 2000,
    memoryBytes: limitOptions.memoryBytes ?? 32 * 1024 * 1024,
    stackBytes: limitOptions.stackBytes ?? 256 * 1024,
    maxOutputBytes: limitOptions.maxOutputBytes ?? 256 * 1024,
  };
  const logs: string[] = [];
  let logBytes = 0;
  let logsTruncated = false;
  const sink = (line: string) => {
    if (logsTruncated) return;
    logBytes += Buffer.byteLength(line) + 1;
    if (logBytes > limits.maxOutputBytes) logsTruncated = true;
    else logs.push(line);
  };
  const module = await newQuickJSWASMModule(RELEASE_SYNC);
  const runtime = module.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(limits.stackBytes);
  const deadline = Date.now() + limits.timeoutMs;
  runtime.setInterruptHandler(() => Date.now() > deadline || signal?.aborted === true);
  const context = runtime.newContext();
  const owned = new Set<QuickJSHandle>();
  const own = (handle: QuickJSHandle): QuickJSHandle => (owned.add(handle), handle);
  const done = (value: unknown, error?: JavaScriptResult['error']): JavaScriptResult =>
    error ? { value, logs, logsTruncated, error } : { value, logs, logsTruncated };
  try {
    installConsole(context, sink);
    const { type, result } = evaluate(context, code);
    if (result.error) return done(null, describeGuestError(context, own(result.error), limits));
    const settled = settle(context, runtime, own(result.value));
    if (settled.kind === 'never')
      return done(null, { name: 'Error', message: 'the result promise never settled' });
    if (settled.kind === 'error') return done(null, describeGuestError(context, own(settled.handle), limits));
    let valueHandle = own(settled.handle);
    if (type === 'module' && context.typeof(valueHandle) === 'object') {
      const fallback = own(context.getProp(valueHandle, 'default'));
      if (context.typeof(fallback) !== 'undefined') valueHandle = fallback;
    }
    return done(serialize(context, valueHandle, limits.maxOutputBytes));
  } catch (error: unknown) {
    // The host stack can run out inside the WebAssembly interpreter; this module instance is then dropped.
    if (error instanceof RangeError) return done(null, { name: 'RangeError', message: 'stack overflow' });
    return done(null, { name: 'Error', message: error instanceof Error ? error.message : String(error) });
  } finally {
    release(context, runtime, owned);
  }
}

/** Frees handles, context and runtime. A runtime left inconsistent by a limit is dropped with its module. */
function release(context: QuickJSContext, runtime: QuickJSRuntime, owned: Set<QuickJSHandle>): void {
  try {
    for (const handle of owned) if (handle.alive) handle.dispose();
    context.dispose();
    runtime.dispose();
  } catch {
    // The whole WebAssembly module is per call and is garbage-collected with everything in it.
  }
}
