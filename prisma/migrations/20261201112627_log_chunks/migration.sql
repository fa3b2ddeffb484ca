-- Log lines are stored many per row (LogChunk) instead of one row each (LogLine). WARNING and ERROR lines are also
-- kept one row each (LogAlertLine), for the level filter.

-- CreateTable
CREATE TABLE "LogChunk" (
    "jobId" UUID NOT NULL,
    "fromSeq" INTEGER NOT NULL,
    "toSeq" INTEGER NOT NULL,
    "lines" INTEGER NOT NULL,
    "levels" INTEGER NOT NULL,
    "data" TEXT NOT NULL,

    CONSTRAINT "LogChunk_pkey" PRIMARY KEY ("jobId","toSeq")
);

-- CreateTable
CREATE TABLE "LogAlertLine" (
    "jobId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "stream" "LogStream" NOT NULL,
    "level" "LogLevel" NOT NULL,
    "text" TEXT NOT NULL,
    "time" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LogAlertLine_pkey" PRIMARY KEY ("jobId","seq")
);

-- CreateIndex
CREATE INDEX "LogAlertLine_jobId_level_seq_idx" ON "LogAlertLine"("jobId", "level", "seq");

INSERT INTO "LogAlertLine" ("jobId", "seq", "stream", "level", "text", "time")
SELECT "jobId", seq, stream, level, replace(replace(text, E'\n', ' '), E'\r', ' '), "time" FROM "LogLine" WHERE level IN ('WARNING', 'ERROR');

-- Existing lines move into chunks of up to 1,000 lines, in the .log file's form.
INSERT INTO "LogChunk" ("jobId", "fromSeq", "toSeq", "lines", "levels", "data")
SELECT "jobId", min(seq), max(seq), count(*)::int,
       bit_or(CASE level WHEN 'DEBUG' THEN 1 WHEN 'INFO' THEN 2 WHEN 'WARNING' THEN 4 ELSE 8 END),
       string_agg(seq || E'\t' || to_char("time", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || E'\t' || stream || E'\t' || level || E'\t'
                  || replace(replace(text, E'\n', ' '), E'\r', ' ') || E'\n', '' ORDER BY seq)
FROM "LogLine"
GROUP BY "jobId", (seq - 1) / 1000;

-- DropForeignKey
ALTER TABLE "LogLine" DROP CONSTRAINT "LogLine_jobId_fkey";

-- DropTable
DROP TABLE "LogLine";

-- AddForeignKey
ALTER TABLE "LogAlertLine" ADD CONSTRAINT "LogAlertLine_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LogChunk" ADD CONSTRAINT "LogChunk_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "Job"("id") ON DELETE CASCADE ON UPDATE CASCADE;
