-- CreateEnum
CREATE TYPE "JobKind" AS ENUM ('TUNE', 'TRAIN');

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'STOPPED', 'LOST');

-- CreateEnum
CREATE TYPE "Executor" AS ENUM ('LOCAL', 'HF_JOBS');

-- CreateEnum
CREATE TYPE "LogStream" AS ENUM ('STDOUT', 'STDERR', 'SYSTEM');

-- CreateEnum
CREATE TYPE "LogLevel" AS ENUM ('DEBUG', 'INFO', 'WARNING', 'ERROR');

-- CreateEnum
CREATE TYPE "TrialSource" AS ENUM ('LOCAL', 'HUB');

-- CreateEnum
CREATE TYPE "MetricDirection" AS ENUM ('MINIMIZE', 'MAXIMIZE');

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'STOPPED');

-- CreateTable
CREATE TABLE "Job" (
    "id" UUID NOT NULL,
    "kind" "JobKind" NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'QUEUED',
    "executor" "Executor" NOT NULL DEFAULT 'LOCAL',
    "flavor" TEXT NOT NULL DEFAULT 'cpu',
    "trials" INTEGER,
    "quick" BOOLEAN NOT NULL DEFAULT false,
    "args" JSONB NOT NULL DEFAULT '{}',
    "command" TEXT[],
    "cwd" TEXT,
    "gitCommit" TEXT,
    "config" JSONB NOT NULL DEFAULT '{}',
    "outputDir" TEXT,
    "logPath" TEXT,
    "pid" INTEGER,
    "pgid" INTEGER,
    "ownerId" TEXT,
    "host" TEXT,
    "heartbeatAt" TIMESTAMP(3),
    "externalId" TEXT,
    "exitCode" INTEGER,
    "signal" TEXT,
    "error" TEXT,
    "maxRetries" INTEGER NOT NULL DEFAULT 0,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "stopRequested" BOOLEAN NOT NULL DEFAULT false,
    "cpuPercent" DOUBLE PRECISION,
    "rssBytes" BIGINT,
    "peakCpuPercent" DOUBLE PRECISION,
    "peakRssBytes" BIGINT,
    "lastSeq" INTEGER NOT NULL DEFAULT 0,
    "stdoutOffset" BIGINT NOT NULL DEFAULT 0,
    "stderrOffset" BIGINT NOT NULL DEFAULT 0,
    "logOffset" BIGINT NOT NULL DEFAULT 0,
    "trialsDone" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LogLine" (
    "jobId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "stream" "LogStream" NOT NULL,
    "level" "LogLevel" NOT NULL,
    "text" TEXT NOT NULL,
    "time" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LogLine_pkey" PRIMARY KEY ("jobId","seq")
);

-- CreateTable
CREATE TABLE "MetricPoint" (
    "id" BIGSERIAL NOT NULL,
    "jobId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "step" DOUBLE PRECISION,
    "epoch" DOUBLE PRECISION,
    "value" DOUBLE PRECISION NOT NULL,
    "time" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MetricPoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UsageSample" (
    "id" BIGSERIAL NOT NULL,
    "jobId" UUID NOT NULL,
    "cpuPercent" DOUBLE PRECISION NOT NULL,
    "rssBytes" BIGINT NOT NULL,
    "processes" INTEGER NOT NULL,
    "time" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UsageSample_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Trial" (
    "id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "jobId" UUID,
    "number" INTEGER NOT NULL,
    "params" JSONB NOT NULL,
    "score" DOUBLE PRECISION,
    "rankScore" DOUBLE PRECISION,
    "metric" TEXT NOT NULL,
    "direction" "MetricDirection" NOT NULL DEFAULT 'MINIMIZE',
    "source" "TrialSource" NOT NULL DEFAULT 'LOCAL',
    "filePath" TEXT NOT NULL,
    "fileSha256" TEXT,
    "error" TEXT,
    "raw" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Trial_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Run" (
    "id" UUID NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'QUEUED',
    "trialId" UUID NOT NULL,
    "jobId" UUID,
    "outputDir" TEXT NOT NULL,
    "modelPath" TEXT,
    "config" JSONB NOT NULL,
    "error" TEXT,
    "promotedBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PromotionLock" (
    "project" TEXT NOT NULL,
    "runId" UUID,
    "holder" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PromotionLock_pkey" PRIMARY KEY ("project")
);

-- CreateTable
CREATE TABLE "ModelAlias" (
    "alias" TEXT NOT NULL,
    "runId" UUID NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ModelAlias_pkey" PRIMARY KEY ("alias")
);

-- CreateTable
CREATE TABLE "ModelAliasEvent" (
    "id" BIGSERIAL NOT NULL,
    "alias" TEXT NOT NULL,
    "runId" UUID NOT NULL,
    "previousRunId" UUID,
    "action" TEXT NOT NULL,
    "actor" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ModelAliasEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ServerInstance" (
    "id" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "flavors" TEXT[],
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ServerInstance_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Job_status_createdAt_idx" ON "Job"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Job_ownerId_status_idx" ON "Job"("ownerId", "status");

-- CreateIndex
CREATE INDEX "Job_createdAt_idx" ON "Job"("createdAt");

-- CreateIndex
CREATE INDEX "LogLine_jobId_level_seq_idx" ON "LogLine"("jobId", "level", "seq");

-- CreateIndex
CREATE INDEX "MetricPoint_jobId_name_seq_idx" ON "MetricPoint"("jobId", "name", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "MetricPoint_jobId_seq_name_key" ON "MetricPoint"("jobId", "seq", "name");

-- CreateIndex
CREATE INDEX "UsageSample_jobId_time_idx" ON "UsageSample"("jobId", "time");

-- CreateIndex
CREATE UNIQUE INDEX "Trial_key_key" ON "Trial"("key");

-- CreateIndex
CREATE INDEX "Trial_metric_rankScore_id_idx" ON "Trial"("metric", "rankScore", "id");

-- CreateIndex
CREATE INDEX "Trial_jobId_metric_rankScore_id_idx" ON "Trial"("jobId", "metric", "rankScore", "id");

-- CreateIndex
CREATE INDEX "Trial_source_metric_rankScore_id_idx" ON "Trial"("source", "metric", "rankScore", "id");

-- CreateIndex
CREATE INDEX "Run_createdAt_idx" ON "Run"("createdAt");

-- CreateIndex
CREATE INDEX "ModelAliasEvent_alias_createdAt_idx" ON "ModelAliasEvent"("alias", "createdAt");

-- AddForeignKey
ALTER TABLE "LogLine" ADD CONSTRAINT "LogLine_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MetricPoint" ADD CONSTRAINT "MetricPoint_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UsageSample" ADD CONSTRAINT "UsageSample_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Trial" ADD CONSTRAINT "Trial_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_trialId_fkey" FOREIGN KEY ("trialId") REFERENCES "Trial"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ModelAliasEvent" ADD CONSTRAINT "ModelAliasEvent_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
