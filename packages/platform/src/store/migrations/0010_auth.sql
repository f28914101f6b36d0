-- Accounts and tokens (issue 11): sign-in sessions whose refresh tokens rotate, the counters that
-- throttle failed sign-ins, and the index behind the per-organization quota on active runs.
-- `users`, `api_keys` and `refresh_tokens` exist since 0000_init; only hashes are ever stored.
CREATE TABLE "auth_sessions" (
  "id" text PRIMARY KEY NOT NULL,
  "org_id" text NOT NULL REFERENCES "organizations"("id") ON DELETE CASCADE,
  "user_id" text NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
  "created_at" bigint NOT NULL,
  "expires_at" bigint NOT NULL,
  "revoked_at" bigint,
  "revoked_reason" text
);
--> statement-breakpoint
CREATE INDEX "auth_sessions_user_idx" ON "auth_sessions" ("user_id") WHERE "revoked_at" IS NULL;
--> statement-breakpoint
-- A refresh token's family is its session; a token is spent once rotated (presenting it again revokes
-- the session).
ALTER TABLE "refresh_tokens" ADD COLUMN "spent_at" bigint;
--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_family_auth_sessions_id_fk"
  FOREIGN KEY ("family") REFERENCES "auth_sessions"("id") ON DELETE CASCADE;
--> statement-breakpoint
CREATE INDEX "refresh_tokens_family_idx" ON "refresh_tokens" ("family");
--> statement-breakpoint
-- Failed sign-ins per key (`account:<email>`, `ip:<address>`), shared by every replica.
CREATE TABLE "login_throttle" (
  "key" text PRIMARY KEY NOT NULL,
  "failures" integer NOT NULL,
  "window_started_at" bigint NOT NULL,
  "locked_until" bigint
);
--> statement-breakpoint
CREATE INDEX "runs_org_active_idx" ON "runs" ("org_id") WHERE "status" IN ('queued', 'running');
