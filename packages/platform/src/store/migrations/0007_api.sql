-- The HTTP API: the request that carried an Idempotency-Key is remembered (as a hash) with the run it
-- created, so a retry with the same key and the same body gets the same run, and the same key with a
-- different body is refused (422) instead of silently answering with the first run.
ALTER TABLE "runs" ADD COLUMN "idempotency_hash" text;
