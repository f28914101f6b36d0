-- Jobs and workers: the columns the queue's fairness, its history and the worker registry need.

-- The agent of an `agent-run` job, so per-agent `concurrency` can be counted without a join.
ALTER TABLE "jobs" ADD COLUMN "agent_id" text;
--> statement-breakpoint
UPDATE "jobs" SET "agent_id" = "runs"."agent_id" FROM "runs" WHERE "jobs"."run_id" = "runs"."id";
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "started_at" bigint;
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "finished_at" bigint;
--> statement-breakpoint
-- What the relay and the local queue select: each organization's due pending jobs, best priority first.
CREATE INDEX "jobs_pending_idx" ON "jobs" ("org_id", "priority", "run_at", "id") WHERE "status" = 'pending';
--> statement-breakpoint
-- What the caps count: jobs handed to the transport or being worked on, per organization and agent.
CREATE INDEX "jobs_in_flight_idx" ON "jobs" ("org_id", "agent_id") WHERE "status" IN ('sent', 'active');
--> statement-breakpoint
-- The sweeper asks whether a run has a job waiting or in flight; `jobs list` pages per organization.
CREATE INDEX "jobs_run_idx" ON "jobs" ("run_id", "status") WHERE "run_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "jobs_org_created_idx" ON "jobs" ("org_id", "created_at", "id");
--> statement-breakpoint
-- An organization's cap on runs in flight; NULL: the deployment's default (AUTONOMA_ORG_MAX_RUNS).
ALTER TABLE "organizations" ADD COLUMN "max_runs_in_flight" integer;
--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "version" text DEFAULT '' NOT NULL;
--> statement-breakpoint
-- The lease owner id the worker's run service writes on the runs it advances.
ALTER TABLE "workers" ADD COLUMN "lease_owner" text;
--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "transport" text DEFAULT 'local' NOT NULL;
--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "in_flight" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- Why it stopped: 'drained', 'forced' or 'expired' (its heartbeat stopped; the sweeper gave up on it).
ALTER TABLE "workers" ADD COLUMN "stop_reason" text;
--> statement-breakpoint
CREATE INDEX "workers_live_idx" ON "workers" ("heartbeat_at") WHERE "stopped_at" IS NULL;
