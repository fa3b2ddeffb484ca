import { describe, expect, it } from 'vitest';
import { classifyLevel, DEFAULT_LEVEL_BY_STREAM, type LogLevel } from '../../src/logs/classify-level.ts';

type Case = [text: string, level: LogLevel];

function expectLevels(cases: Case[], stream: 'STDOUT' | 'STDERR' = 'STDOUT'): void {
  for (const [text, level] of cases) expect(classifyLevel(text, stream), text).toBe(level);
}

describe('classifyLevel', () => {
  it('reads the level of Python logging formats', () => {
    expectLevels([
      ['DEBUG:root:msg', 'DEBUG'],
      ['INFO:__main__:starting', 'INFO'],
      ['WARNING:py.warnings:careful', 'WARNING'],
      ['ERROR:trainer:failed to save', 'ERROR'],
      ['2024-01-01 12:00:00,123 - name - WARNING - msg', 'WARNING'],
      ['2024-01-01 12:00:00,123 - lightning.pytorch.utilities.rank_zero - ERROR - msg', 'ERROR'],
      ['2024-01-01 12:00:00,123 DEBUG msg', 'DEBUG'],
      ['[2024-01-01 12:00:00,123][__main__][ERROR] - boom', 'ERROR'],
      ['2024-01-01 12:00:00.123 | WARNING  | module:func:12 - loguru', 'WARNING'],
      ['12:00:01 WARNING something', 'WARNING'],
      ['trainer - DEBUG - named logger without time', 'DEBUG'],
      ['[INFO] msg', 'INFO'],
      ['[warning] lower case in brackets', 'WARNING'],
      ['WARNING: msg', 'WARNING'],
      ['Warning: capitalised with colon', 'WARNING'],
      ['error: lower case with colon', 'ERROR'],
      ['ERROR msg', 'ERROR'],
      ['INFO - msg', 'INFO'],
      ['W0101 12:00:00.123456  1234 file.py:12] absl warning', 'WARNING'],
      ['E0101 12:00:00.123456  1234 file.py:12] absl error', 'ERROR'],
    ]);
  });

  it('maps level aliases to the four levels', () => {
    expectLevels([
      ['CRITICAL:root:disk full', 'ERROR'],
      ['FATAL out of memory', 'ERROR'],
      ['WARN deprecated flag', 'WARNING'],
      ['TRACE entering loop', 'DEBUG'],
      ['2024-01-01 12:00:00,123 - app - CRITICAL - down', 'ERROR'],
    ]);
  });

  it('marks tracebacks and exception lines as ERROR', () => {
    expectLevels([
      ['Traceback (most recent call last):', 'ERROR'],
      ['  File "train.py", line 12, in <module>', 'ERROR'],
      ['ValueError: learning rate must be positive', 'ERROR'],
      ['RuntimeError: CUDA error: device-side assert triggered', 'ERROR'],
      ['torch.cuda.OutOfMemoryError: CUDA out of memory.', 'ERROR'],
      ['KeyboardInterrupt', 'ERROR'],
      ['Segmentation fault (core dumped)', 'ERROR'],
    ]);
  });

  it('marks Python warnings output as WARNING', () => {
    expectLevels([
      ['/usr/lib/python3/site-packages/torch/nn/modules.py:12: UserWarning: this is deprecated', 'WARNING'],
      ['train.py:3: FutureWarning: `x` will change', 'WARNING'],
      ['DeprecationWarning: old API', 'WARNING'],
    ]);
  });

  it('does not mistake level words inside messages for levels', () => {
    expectLevels([
      ['no errors found', 'INFO'],
      ['Error handling is fine', 'INFO'],
      ['validation finished with 0 ERROR and 0 WARNING', 'INFO'],
      ['errors: 0', 'INFO'],
      ['Epoch 1: 100%|██████████| 50/50 [00:01<00:00, 40.1it/s, loss=0.41]', 'INFO'],
      ['DEBUGGING session started', 'INFO'],
      ['ERRORS ignored: 3', 'INFO'],
      ['the warning: below is harmless', 'INFO'],
      ['ANANA_METRICS {"step":1,"error_rate":0.2}', 'INFO'],
    ]);
  });

  it.each(['STDOUT', 'STDERR'] as const)('defaults unrecognised %s lines to DEFAULT_LEVEL_BY_STREAM', (stream) => {
    expect(classifyLevel('plain progress output', stream)).toBe(DEFAULT_LEVEL_BY_STREAM[stream]);
  });

  it('defaults stderr to INFO because logging and tqdm write there by default', () => {
    expect(DEFAULT_LEVEL_BY_STREAM).toEqual({ STDOUT: 'INFO', STDERR: 'INFO' });
  });

  it('reads an explicit level the same on either stream', () => {
    expectLevels([['DEBUG:root:msg', 'DEBUG'], ['ERROR:root:msg', 'ERROR']], 'STDERR');
  });
});
