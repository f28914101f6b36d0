import type { ToolCallRecord } from '../ports/run-store.ts';
import type { EventPayload } from '../protocol/events.ts';
import type { AnyTool } from '../tools/define-tool.ts';
import type { StepWork } from './step-work.ts';
import { collect, stepGoesOn } from './step-work.ts';
import type { CallSetting } from './tool-calls.ts';
import { executeCall } from './tool-calls.ts';

/** What {@link recoverStep} works with. */
export interface Recovery {
  setting: CallSetting;
  /** The step's journalled calls and approved calls (from the journal's `pending`). */
  pending: readonly ToolCallRecord[];
  allowed: ReadonlyMap<string, AnyTool>;
  emit: (event: EventPayload) => void;
  work: StepWork;
}

/**
 * Finishes the calls of a step that was interrupted before its commit, without asking the brain again:
 * finished calls are taken from the journal, started idempotent calls run again with their key, a
 * started non-idempotent call ends the run `needs_review` (it is never run twice), approved calls run now.
 */
export async function recoverStep(recovery: Recovery): Promise<StepWork> {
  const { setting, pending, allowed, emit, work } = recovery;
  const { runtime, run } = setting;
  for (const record of pending) {
    const tool = allowed.get(record.tool) ?? runtime.tools.get(record.tool);
    if (record.status === 'started' && (!tool || !record.idempotent)) {
      const reason = `tool call ${record.key} (${record.tool}) was interrupted mid-call and is not idempotent; it was not executed again — check whether its effect happened`;
      emit({ type: 'error', step: setting.step, code: 'ambiguous_tool_call', message: reason });
      work.outcome = { kind: 'final', status: 'needs_review', reason };
      return work;
    }
    if (!tool) continue;
    if (record.status === 'approved') {
      const claimed = await runtime.toolCalls.resolve(run.orgId, record.key, {
        from: 'approved',
        to: 'started',
        result: null,
        now: runtime.clock.now(),
      });
      if (!claimed) continue;
    }
    const result = await executeCall(setting, {
      key: record.key,
      index: record.callIndex,
      tool,
      args: record.args,
      recordEarly: true,
      record: { ...record, status: record.status === 'approved' ? 'started' : record.status },
    });
    collect(work, result, { tool: record.tool, step: record.step, callId: record.key }, emit);
    if (!stepGoesOn(work.outcome)) return work;
  }
  return work;
}
