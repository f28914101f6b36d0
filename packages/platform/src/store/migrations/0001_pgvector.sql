-- autonoma:requires-extension vector
-- Optional step: applied only where the pgvector extension is available (PGlite ships it; the
-- Debian PostgreSQL here does not). Without it, recall ranks with full text + cosine over real[].
-- The shadow columns are generated from the real[] embeddings, so writers never need to know.
CREATE EXTENSION IF NOT EXISTS vector;
--> statement-breakpoint
ALTER TABLE "memories" ADD COLUMN "embedding_vector" vector(256) GENERATED ALWAYS AS (CASE WHEN cardinality("embedding") = 256 THEN "embedding"::vector(256) END) STORED;
--> statement-breakpoint
CREATE INDEX "memories_embedding_hnsw_idx" ON "memories" USING hnsw ("embedding_vector" vector_cosine_ops);
--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "embedding_vector" vector(256) GENERATED ALWAYS AS (CASE WHEN cardinality("embedding") = 256 THEN "embedding"::vector(256) END) STORED;
--> statement-breakpoint
CREATE INDEX "plans_embedding_hnsw_idx" ON "plans" USING hnsw ("embedding_vector" vector_cosine_ops);
