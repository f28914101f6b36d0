-- Conversations (ARCHITECTURE §3): a thread of user messages with one agent. Each message is a turn,
-- answered by one run whose id is fixed when the message is accepted; `started` counts the turns whose
-- run was started (in order: a turn starts once the previous turn's run has ended).
CREATE TABLE "conversations" (
  "id" text PRIMARY KEY NOT NULL,
  "org_id" text NOT NULL REFERENCES "organizations"("id") ON DELETE CASCADE,
  "agent_id" text NOT NULL,
  "title" text NOT NULL,
  "turns" integer DEFAULT 0 NOT NULL,
  "started" integer DEFAULT 0 NOT NULL,
  "created_at" bigint NOT NULL,
  "updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "conversations_org_idx" ON "conversations" ("org_id", "updated_at" DESC, "id" DESC);
--> statement-breakpoint
CREATE INDEX "conversations_pending_idx" ON "conversations" ("updated_at") WHERE "started" < "turns";
--> statement-breakpoint
CREATE TABLE "conversation_turns" (
  "conversation_id" text NOT NULL REFERENCES "conversations"("id") ON DELETE CASCADE,
  "seq" integer NOT NULL,
  "message" text NOT NULL,
  "run_id" text NOT NULL,
  "created_at" bigint NOT NULL,
  CONSTRAINT "conversation_turns_pkey" PRIMARY KEY ("conversation_id", "seq")
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "conversation_id" text;
--> statement-breakpoint
CREATE INDEX "runs_conversation_idx" ON "runs" ("conversation_id", "created_at") WHERE "conversation_id" IS NOT NULL;
