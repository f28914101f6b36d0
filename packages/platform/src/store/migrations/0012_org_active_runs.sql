-- The runs each organization has queued or running, kept by triggers on `runs`, so that the quota on
-- active runs reads a few rows rather than counting the runs themselves: that count grew with the
-- active runs and ran under the organization's intake lock for every batch of creates.
-- A change is counted on one of 15 slots chosen by the connection, so workers ending one
-- organization's runs rarely wait on each other's row, and a transaction touches one row per
-- organization whatever it does to runs (no lock-order cycle between two of them). An organization's
-- count is the sum of its slots. The triggers see every change to `runs`, committed with it.
CREATE TABLE "org_active_runs" (
	"org_id" text NOT NULL,
	"slot" smallint NOT NULL,
	"n" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "org_active_runs_pkey" PRIMARY KEY("org_id","slot")
);
--> statement-breakpoint
CREATE FUNCTION "autonoma_active_runs_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO org_active_runs (org_id, slot, n)
    SELECT org_id, 1 + pg_backend_pid() % 15, count(*) FROM autonoma_inserted_runs
    WHERE status IN ('queued', 'running') GROUP BY org_id ORDER BY org_id
  ON CONFLICT (org_id, slot) DO UPDATE SET n = org_active_runs.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "autonoma_active_runs_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  shard smallint := 1 + pg_backend_pid() % 15;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN ('queued', 'running') THEN
    INSERT INTO org_active_runs AS c (org_id, slot, n) VALUES (OLD.org_id, shard, -1)
    ON CONFLICT (org_id, slot) DO UPDATE SET n = c.n - 1;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.status IN ('queued', 'running') THEN
    INSERT INTO org_active_runs AS c (org_id, slot, n) VALUES (NEW.org_id, shard, 1)
    ON CONFLICT (org_id, slot) DO UPDATE SET n = c.n + 1;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "runs_active_inserted" AFTER INSERT ON "runs"
  REFERENCING NEW TABLE AS autonoma_inserted_runs
  FOR EACH STATEMENT EXECUTE FUNCTION "autonoma_active_runs_inserted"();
--> statement-breakpoint
-- Only a change in or out of the active states (or of organization) calls the function: a step's
-- commit, which leaves a running run running, costs nothing here.
CREATE TRIGGER "runs_active_changed" AFTER UPDATE ON "runs"
  FOR EACH ROW WHEN ((OLD.status IN ('queued', 'running')) IS DISTINCT FROM (NEW.status IN ('queued', 'running'))
    OR OLD.org_id IS DISTINCT FROM NEW.org_id)
  EXECUTE FUNCTION "autonoma_active_runs_changed"();
--> statement-breakpoint
CREATE TRIGGER "runs_active_deleted" AFTER DELETE ON "runs"
  FOR EACH ROW WHEN (OLD.status IN ('queued', 'running'))
  EXECUTE FUNCTION "autonoma_active_runs_changed"();
--> statement-breakpoint
-- The runs active now, on slot 0 (which no trigger uses): after the triggers exist (creating them
-- waited for the writes in progress on `runs`, and holds off new ones until this migration commits),
-- so no change is missed or counted twice.
INSERT INTO "org_active_runs" ("org_id", "slot", "n")
  SELECT "org_id", 0, count(*) FROM "runs" WHERE "status" IN ('queued', 'running') GROUP BY "org_id";
