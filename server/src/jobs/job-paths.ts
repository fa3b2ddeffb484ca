import path from 'node:path';

/** Where everything of a job lives inside the results root; ids are validated UUIDs before they get here. */
export function jobPaths(resultsDir: string, jobId: string) {
  const logs = path.join(resultsDir, 'logs');
  return {
    logsDir: logs,
    stdout: path.join(logs, `${jobId}.stdout`),
    stderr: path.join(logs, `${jobId}.stderr`),
    log: path.join(logs, `${jobId}.log`),
    exit: path.join(logs, `${jobId}.exit.json`),
    metadata: path.join(resultsDir, 'jobs', `${jobId}.json`),
    tuneDir: path.join(resultsDir, 'tune', jobId),
  };
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
