DROP INDEX "memories_search_idx";--> statement-breakpoint
CREATE INDEX "memories_search_idx" ON "memories" USING gin ("search") WITH (fastupdate=false);