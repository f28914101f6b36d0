-- Runs form trees and ask questions: how deep a run is in its delegation tree, how many of its children
-- are still open (the last child to end makes a parent waiting for its children runnable, in its own
-- commit), and when a run waiting for an answer runs out of wall time.
ALTER TABLE "runs" ADD COLUMN "depth" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "children_open" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- A run waiting for an answer ends when its wall-time budget runs out: claimable from then on.
CREATE INDEX "runs_input_deadline_idx" ON "runs" ("wake_at") WHERE "status" = 'waiting_input';
--> statement-breakpoint
-- The first run of a run's tree (NULL for runs stored before trees: each is its own root).
ALTER TABLE "runs" ADD COLUMN "root_run_id" text;
--> statement-breakpoint
CREATE INDEX "runs_root_idx" ON "runs" ("root_run_id");
