-- Runs for many processes and many organisations: tenancy in the schema, the persisted working memory
-- of a run (its context), wake times, finalization, versioned events, the plan-outcome ledger and the
-- outbox's one-pending-job-per-run rule.

-- The embedded organisation is a real row, and so is every organisation id already in use, so that
-- the foreign keys below hold on an existing store.
INSERT INTO "organizations" ("id", "name", "created_at") VALUES ('org_default', 'default', 0) ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO "organizations" ("id", "name", "created_at")
SELECT DISTINCT "org_id", "org_id", 0 FROM (
  SELECT "org_id" FROM "runs" UNION SELECT "org_id" FROM "agents" UNION SELECT "org_id" FROM "memories"
  UNION SELECT "org_id" FROM "plans" UNION SELECT "org_id" FROM "action_stats"
  UNION SELECT "org_id" FROM "jobs" WHERE "org_id" IS NOT NULL
) AS "used"
ON CONFLICT DO NOTHING;
--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE;
--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE;
--> statement-breakpoint
ALTER TABLE "memories" ADD CONSTRAINT "memories_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE;
--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE;
--> statement-breakpoint
ALTER TABLE "action_stats" ADD CONSTRAINT "action_stats_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE;
--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE;
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "context" jsonb;
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "preparation" jsonb;
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "wake_at" bigint;
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "finalized_at" bigint;
--> statement-breakpoint
-- Runs that ended before finalization existed wrote their run-end with the final step.
UPDATE "runs" SET "finalized_at" = COALESCE("ended_at", "updated_at")
WHERE "status" IN ('succeeded', 'failed', 'cancelled', 'budget_exceeded', 'needs_review');
--> statement-breakpoint
CREATE INDEX "runs_unfinalized_idx" ON "runs" ("ended_at") WHERE "finalized_at" IS NULL AND "ended_at" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "runs_wake_idx" ON "runs" ("wake_at") WHERE "status" = 'sleeping';
--> statement-breakpoint
ALTER TABLE "run_events" ADD COLUMN "schema_version" smallint DEFAULT 1 NOT NULL;
--> statement-breakpoint
-- Each run counts once per plan, whatever retries a crash causes.
CREATE TABLE "plan_runs" (
  "plan_id" text NOT NULL,
  "run_id" text NOT NULL,
  "success" boolean NOT NULL,
  "at" bigint NOT NULL,
  CONSTRAINT "plan_runs_pkey" PRIMARY KEY ("plan_id", "run_id")
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "run_id" text;
--> statement-breakpoint
-- At most one pending job per dedupe key (for agent-run jobs: one per run); a job being worked on
-- does not stop the run's next job from being written.
DROP INDEX "jobs_dedupe_key";
--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_pending_dedupe_key" ON "jobs" ("dedupe_key") WHERE "status" = 'pending';
