import { builder } from './builder.ts';

export const JobStatusEnum = builder.enumType('JobStatus', {
  values: {
    QUEUED: { description: 'Waiting for a free slot.' },
    RUNNING: {},
    SUCCEEDED: {},
    FAILED: { description: 'Exited non-zero, was killed by a signal, or could not start; see error.' },
    STOPPED: { description: 'Stopped by request (stopJob).' },
    LOST: { description: 'Its process or machine vanished while no server watched it, leaving no exit record.' },
  } as const,
});
export const JobKindEnum = builder.enumType('JobKind', { values: ['TUNE', 'TRAIN'] as const });
export const ExecutorEnum = builder.enumType('Executor', {
  values: { LOCAL: { description: 'A subprocess on a machine running this server or a worker.' }, HF_JOBS: { description: 'Hugging Face Jobs.' } } as const,
});
export const LogLevelEnum = builder.enumType('LogLevel', { values: ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const });
export const LogStreamEnum = builder.enumType('LogStream', { values: ['STDOUT', 'STDERR', 'SYSTEM'] as const });
