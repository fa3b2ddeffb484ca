-- Metric points lose their foreign key to Job: PostgreSQL checks it once per inserted row, about a third of the
-- cost of writing a point. Deleting a job still deletes its points, through the rule below. The only writer
-- (insertLogBatch) updates the job's row in the same transaction and rolls back when the job is gone.

-- Points whose job no longer exists cannot be left behind by the foreign key (removed in case of manual edits).
DELETE FROM "MetricPoint" p WHERE NOT EXISTS (SELECT 1 FROM "Job" j WHERE j.id = p."jobId");

-- DropForeignKey
ALTER TABLE "MetricPoint" DROP CONSTRAINT "MetricPoint_jobId_fkey";

-- A rule rather than a trigger: its one statement needs no function body (migrations are applied statement by
-- statement, split at semicolons).
CREATE RULE "Job_delete_metric_points" AS ON DELETE TO "Job" DO ALSO DELETE FROM "MetricPoint" WHERE "jobId" = OLD.id;
