import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_TRAIN_CMD, loadConfig } from '../../src/config/config.ts';
import { tuneGarbageCollector } from '../../src/gc-tuning.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, []);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({}, []);
    expect(config.port).toBe(4000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.resultsDir.endsWith('.anana-results')).toBe(true);
    expect(config.trainCmd).toEqual(DEFAULT_TRAIN_CMD);
    expect(config.maxConcurrentJobs).toBe(1);
    expect(config.stopGraceMs).toBe(10_000);
    expect(config.apiToken).toBeUndefined();
    expect(config.heapGrowingPercent).toBe(100);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['ANANA_TRAIN_CMD', 'python train.py'],
    ['ANANA_TRAIN_CMD', '[]'],
    ['ANANA_TRAIN_CMD', '["python", 3]'],
    ['ANANA_MAX_CONCURRENT_JOBS', '-1'],
    ['ANANA_STOP_GRACE_MS', '1.5'],
    ['HF_TOKEN', 'abc'],
    ['HF_ENDPOINT', 'ftp://hub'],
    ['ANANA_HUB_REPO', '../../etc'],
    ['ANANA_HEAP_GROWING_PERCENT', '1.5'],
    ['ANANA_HEAP_GROWING_PERCENT', '5000'],
  ])('reports %s=%j as one line naming the variable', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(`${name}:`)).toBe(true);
  });

  it('reports every bad variable at once', () => {
    expect(problemsOf({ PORT: 'x', ANANA_STOP_GRACE_MS: 'y' })).toHaveLength(2);
  });

  it('parses valid values', () => {
    const config = loadConfig({ PORT: '5000', ANANA_TRAIN_CMD: '["python","train.py"]', ANANA_MAX_CONCURRENT_JOBS: '3', DATABASE_URL: 'postgres://u@h/db', ANANA_HEAP_GROWING_PERCENT: '0' }, []);
    expect(config).toMatchObject({ port: 5000, trainCmd: ['python', 'train.py'], maxConcurrentJobs: 3, databaseUrl: 'postgres://u@h/db', heapGrowingPercent: 0 });
  });
});

describe('tuneGarbageCollector', () => {
  it('sets the configured growing factor, leaves V8 alone at 0, and yields to one given on the command line', () => {
    expect(tuneGarbageCollector(100, [])).toBe(100);
    expect(tuneGarbageCollector(0, [])).toBeNull();
    expect(tuneGarbageCollector(100, ['--heap-growing-percent=30'])).toBeNull();
    expect(tuneGarbageCollector(100, ['--heap_growing_percent', '30'])).toBeNull();
    expect(tuneGarbageCollector(100, ['--heap-growing-percentage-is-not-a-flag'])).toBe(100);
  });
});
