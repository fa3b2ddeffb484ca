-- DropIndex
DROP INDEX "MetricPoint_jobId_seq_name_key";

-- AlterTable
ALTER TABLE "MetricPoint" DROP CONSTRAINT "MetricPoint_pkey",
DROP COLUMN "id",
ADD CONSTRAINT "MetricPoint_pkey" PRIMARY KEY ("jobId", "seq", "name");
