-- Schedules: a cron expression read in a time zone, a goal and an agent; each slot starts one run.
-- `next_fire_at` is the next slot to fire and `last_fired_slot` the last one fired (epoch ms). Every
-- process that polls moves a schedule past a slot by compare-and-set on `next_fire_at`, and the run
-- of a slot carries the idempotency key `schedule:<id>:<slot>`, so a slot starts one run however many
-- schedulers race for it.
CREATE TABLE "schedules" (
  "id" text PRIMARY KEY NOT NULL,
  "org_id" text NOT NULL,
  "agent_id" text NOT NULL,
  "goal" jsonb NOT NULL,
  "cron" text NOT NULL,
  "time_zone" text NOT NULL,
  "priority" text DEFAULT 'normal' NOT NULL,
  "paused" boolean DEFAULT false NOT NULL,
  "next_fire_at" bigint,
  "last_fired_slot" bigint,
  "last_error" text,
  "created_at" bigint NOT NULL,
  "updated_at" bigint NOT NULL,
  CONSTRAINT "schedules_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE
);
--> statement-breakpoint
CREATE INDEX "schedules_org_created_idx" ON "schedules" ("org_id", "created_at", "id");
--> statement-breakpoint
-- What every poller asks, every few seconds: the unpaused schedules whose slot has come.
CREATE INDEX "schedules_due_idx" ON "schedules" ("next_fire_at") WHERE NOT "paused";
