import type { RunEvent, ToolCallRecord } from '@autonoma/core';

/** One tool call of a run, as compared by replay. */
export interface ComparedCall {
  callId: string;
  tool: string;
  args: unknown;
  /** Null when the log shows no end of the call. */
  ok: boolean | null;
}

/** JSON with object keys sorted, so equal arguments compare equal whatever their key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : inner,
  ) ?? 'undefined';

/**
 * The calls a log shows, in order, with their outcome. Journal arguments (redacted like events) and
 * statuses win when given: the journal is the reference for what was called.
 */
export function callsOf(
  events: readonly RunEvent[],
  journal: readonly ToolCallRecord[],
  redact: <T>(value: T) => T,
): ComparedCall[] {
  const byKey = new Map(journal.map((record) => [record.key, record] as const));
  const calls = new Map<string, ComparedCall>();
  for (const event of events) {
    if (event.type === 'tool-call-start' && !calls.has(event.callId)) {
      const record = byKey.get(event.callId);
      calls.set(event.callId, {
        callId: event.callId,
        tool: record?.tool ?? event.tool,
        args: record ? redact(record.args) : event.args,
        ok: null,
      });
    }
    if (event.type === 'tool-call-end') {
      const call = calls.get(event.callId);
      const record = byKey.get(event.callId);
      if (call)
        call.ok =
          record && (record.status === 'succeeded' || record.status === 'failed')
            ? record.status === 'succeeded'
            : event.ok;
    }
  }
  return [...calls.values()];
}

/** The first call that differs (tool, arguments, then outcome), in words; undefined when none does. */
export function firstDifference(
  expected: readonly ComparedCall[],
  actual: readonly ComparedCall[],
): string | undefined {
  const length = Math.max(expected.length, actual.length);
  for (let index = 0; index < length; index++) {
    const want = expected[index];
    const got = actual[index];
    const where = `tool call ${index + 1}`;
    if (!want)
      return `${where}: replay called ${got?.tool ?? '?'} ${canonical(got?.args)}, the record has no such call`;
    if (!got)
      return `${where}: the record has ${want.tool} ${canonical(want.args)}, replay made no such call`;
    if (want.tool !== got.tool || canonical(want.args) !== canonical(got.args))
      return `${where} (${want.callId}): recorded ${want.tool} ${canonical(want.args)}, replayed ${got.tool} ${canonical(got.args)}`;
    if (want.ok !== got.ok)
      return `${where} (${want.callId}) ${want.tool}: recorded ${want.ok ? 'ok' : 'error'}, replayed ${got.ok ? 'ok' : 'error'}`;
  }
  return undefined;
}
