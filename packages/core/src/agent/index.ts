// What a user of core needs from the loop: advancing and finalizing runs, the runtime ports and hooks,
// how tools hand control back, and reading a run's log. The loop's internals stay inside.
export { advanceRun } from './run-agent.ts';
export { finalizeRun, type Finalization } from './finalize.ts';
export type {
  AdvanceRunOptions,
  AdvanceRunResult,
  AgentRuntime,
  EventSink,
  LoopAuditEntry,
  RunHooks,
  RunPreparation,
  SliceEnd,
  ToolObservation,
} from './runtime.ts';
export { StepControl, controlResult, controlOf, isControlResult, type ControlResult } from './control.ts';
export { foldEvents, initialContext } from './context.ts';
export { outcomeOf, statusAfter } from './outcome.ts';
export { callKey } from './tool-calls.ts';
export { budgetWarningRatio } from './budgets.ts';
export {
  askUserToolName,
  carveBudgets,
  childRunIdOf,
  defaultDelegationLimits,
  delegateToolName,
  type DelegationLimits,
} from './delegation.ts';
export { hashArgs, hashString } from './stable-json.ts';
export { readRunLog, eventPageSize } from './read-log.ts';
