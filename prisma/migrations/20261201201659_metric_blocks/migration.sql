-- CreateTable
CREATE TABLE "MetricBlock" (
    "jobId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "block" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,
    "first" DOUBLE PRECISION[],
    "last" DOUBLE PRECISION[],
    "lo" DOUBLE PRECISION[],
    "hi" DOUBLE PRECISION[],

    CONSTRAINT "MetricBlock_pkey" PRIMARY KEY ("jobId","name","block")
);

-- AddForeignKey
ALTER TABLE "MetricBlock" ADD CONSTRAINT "MetricBlock_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The blocks of the points stored so far (block = seq / 256, as BLOCK_LINES in server/src/logs/metric-blocks.ts):
-- each point as [seq, value, step, epoch, time in ms], the lowest and highest as [value, seq, ...], NaN for no step
-- or epoch.
INSERT INTO "MetricBlock" ("jobId", "name", "block", "count", "first", "last", "lo", "hi")
SELECT p."jobId", p.name, p.seq / 256, count(*)::int,
  min(ARRAY[p.seq::float8, p.value, coalesce(p.step, 'NaN'), coalesce(p.epoch, 'NaN'), (extract(epoch FROM p.time) * 1000)::float8]),
  max(ARRAY[p.seq::float8, p.value, coalesce(p.step, 'NaN'), coalesce(p.epoch, 'NaN'), (extract(epoch FROM p.time) * 1000)::float8]),
  min(ARRAY[p.value, p.seq::float8, coalesce(p.step, 'NaN'), coalesce(p.epoch, 'NaN'), (extract(epoch FROM p.time) * 1000)::float8]),
  max(ARRAY[p.value, p.seq::float8, coalesce(p.step, 'NaN'), coalesce(p.epoch, 'NaN'), (extract(epoch FROM p.time) * 1000)::float8])
FROM "MetricPoint" p
WHERE EXISTS (SELECT 1 FROM "Job" j WHERE j.id = p."jobId")
GROUP BY p."jobId", p.name, p.seq / 256;
