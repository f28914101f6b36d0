-- The W3C trace context (`traceparent`, `tracestate`) of a run, written when it is created — the
-- request's span, the job's that created it, or a root span of its own — so that every job of the run
-- (its first, the next after each slice, the one the sweeper writes after a worker died, a parent's
-- wake-up) continues the same trace. NULL for runs created without tracing, and before this migration.
ALTER TABLE "runs" ADD COLUMN "trace_context" jsonb;
