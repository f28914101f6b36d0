-- Room on each page for HOT updates: a step commit rewrites the run row and, while no indexed column
-- changes (status and lease expiry stay put between lease renewals), PostgreSQL can update it in place.
ALTER TABLE "runs" SET (fillfactor = 70);
