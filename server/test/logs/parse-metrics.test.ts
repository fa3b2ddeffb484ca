import { describe, expect, it } from 'vitest';
import {
  MAX_METRIC_NAME_LENGTH,
  METRIC_ALIASES,
  normalizeMetricName,
  parseMetrics,
  STRUCTURED_METRICS_PREFIX,
  type ParsedMetrics,
} from '../../src/logs/parse-metrics.ts';

type Case = [text: string, expected: ParsedMetrics];

function expectParsed(cases: Case[]): void {
  for (const [text, expected] of cases) expect(parseMetrics(text), text).toEqual(expected);
}

describe('parseMetrics', () => {
  describe('structured form', () => {
    it('parses the documented example exactly', () => {
      expect(parseMetrics('ANANA_METRICS {"step":120,"epoch":2,"train_loss":0.41,"val_loss":0.52,"lr":0.001}')).toEqual({
        step: 120,
        epoch: 2,
        values: { train_loss: 0.41, val_loss: 0.52, learning_rate: 0.001 },
      });
    });

    it('keeps every numeric key, including names the heuristics would drop', () => {
      expectParsed([
        ['ANANA_METRICS {"error":0.1,"v_num":3,"custom metric":7}', { values: { error: 0.1, v_num: 3, custom_metric: 7 } }],
        ['INFO:trainer:ANANA_METRICS {"step":5,"loss":1.5}', { step: 5, values: { loss: 1.5 } }],
      ]);
    });

    it('ignores non-numeric values', () => {
      expectParsed([
        [
          'ANANA_METRICS {"step":1,"name":"x","ok":true,"nested":{"a":1},"list":[1],"none":null,"loss":0.5}',
          { step: 1, values: { loss: 0.5 } },
        ],
      ]);
    });

    it.each([
      ['invalid JSON', 'ANANA_METRICS {"step":1,'],
      ['an array', 'ANANA_METRICS [1,2]'],
      ['a number', 'ANANA_METRICS 42'],
      ['an object without numbers', 'ANANA_METRICS {"note":"run 1"}'],
      ['trailing text after the object', 'ANANA_METRICS {"loss":1} extra'],
    ])('returns null for %s', (_name, text) => {
      expect(parseMetrics(text)).toBeNull();
    });

    it('exports the prefix', () => {
      expect(STRUCTURED_METRICS_PREFIX).toBe('ANANA_METRICS ');
    });
  });

  it('parses Hugging Face Trainer dicts', () => {
    expectParsed([
      [
        "{'loss': 0.41, 'grad_norm': 1.2, 'learning_rate': 5e-05, 'epoch': 1.0}",
        { epoch: 1, values: { loss: 0.41, grad_norm: 1.2, learning_rate: 5e-5 } },
      ],
      [
        "{'eval_loss': np.float64(0.5), 'eval_accuracy': tensor(0.8, device='cuda:0'), 'epoch': 2.5, 'global_step': 30}",
        { epoch: 2.5, step: 30, values: { val_loss: 0.5, val_accuracy: 0.8 } },
      ],
      ["{'train_runtime': 12.3, 'train_loss': 0.7, 'step': 100, 'note': 'x'}", { step: 100, values: { train_runtime: 12.3, train_loss: 0.7 } }],
    ]);
  });

  it('parses Keras epoch and progress lines', () => {
    expectParsed([
      ['Epoch 3/10', { epoch: 3, values: {} }],
      [
        '32/32 [==============================] - 1s 3ms/step - loss: 0.4100 - accuracy: 0.81 - val_loss: 0.5200',
        { values: { loss: 0.41, accuracy: 0.81, val_loss: 0.52 } },
      ],
      [
        '32/32 ━━━━━━━━━━━━━━━━━━━━ 1s 3ms/step - accuracy: 0.8100 - loss: 0.4100 - val_accuracy: 0.7800 - learning_rate: 1.0000e-03',
        { values: { accuracy: 0.81, loss: 0.41, val_accuracy: 0.78, learning_rate: 0.001 } },
      ],
      ['12/32 [=========>....................] - ETA: 0s - loss: 0.4500', { values: { loss: 0.45 } }],
    ]);
  });

  it('parses Lightning and tqdm postfixes without progress numbers', () => {
    expectParsed([
      [
        'Epoch 2: 100%|████| 50/50 [00:01<00:00, 40.1it/s, loss=0.41, v_num=0, val_loss=0.52]',
        { epoch: 2, values: { loss: 0.41, val_loss: 0.52 } },
      ],
      ['Epoch 0:  40%|████      | 20/50 [00:00<00:00, 89.22it/s, v_num=1, train/loss=0.9]', { epoch: 0, values: { train_loss: 0.9 } }],
      ['100%|██████████| 50/50 [00:01<00:00, 40.1it/s, loss=0.3]', { values: { loss: 0.3 } }],
    ]);
  });

  it('parses plain key=value and key: value lists', () => {
    expectParsed([
      [
        'epoch 3 step 120 train_loss=0.41 val_loss=0.52 lr=1e-3',
        { epoch: 3, step: 120, values: { train_loss: 0.41, val_loss: 0.52, learning_rate: 0.001 } },
      ],
      ['step: 120, loss: 0.41', { step: 120, values: { loss: 0.41 } }],
      ['Epoch [1/5], Step [100/600], Loss: 0.2345', { epoch: 1, step: 100, values: { loss: 0.2345 } }],
      ['INFO:__main__:epoch=1 Val-Acc=0.75 loss = -0.5', { epoch: 1, values: { val_accuracy: 0.75, loss: -0.5 } }],
      ['mean_absolute_error: 0.3 - loss: 0.2', { values: { mean_absolute_error: 0.3, loss: 0.2 } }],
      ['loss=0.5 loss=0.9', { values: { loss: 0.5 } }],
    ]);
  });

  it.each([
    ['a line without digits', 'Starting training loop'],
    ['a version', 'torch 2.1.0'],
    ['a version after a colon', 'python: 3.10.12'],
    ['a version after equals', 'version=2.1.0'],
    ['a timestamped log line', '2024-01-01 12:00:00,123 - root - INFO - starting'],
    ['an ISO timestamp', 'started at 2024-01-01T12:00:00Z'],
    ['a bare progress bar', '100%|██████████| 50/50 [00:01<00:00, 40.1it/s]'],
    ['a fraction', 'batches 50/50'],
    ['a percentage', 'acc: 81%'],
    ['a duration', 'time=3.2s'],
    ['a thousands separator', 'Total params: 1,234'],
    ['a value after a prose label', 'Trainable params: 1.2 K'],
    ['a value followed by prose', 'Found: 3 files'],
    ['a log level label', 'WARNING: 5 samples dropped'],
    ['an exception label', 'ValueError: 3'],
    ['a device name', 'moving model to cuda:0'],
    ['a URL with a port', 'serving on http://localhost:8080'],
    ['a non-finite value', 'loss=nan grad=inf'],
    ['an overflowing value', 'loss=1e999'],
    ['only bookkeeping numbers', 'Epoch: v_num=3'],
  ])('returns null for %s', (_name, text) => {
    expect(parseMetrics(text)).toBeNull();
  });

  it.each([
    ['lr', 'learning_rate'],
    ['LR', 'learning_rate'],
    ['acc', 'accuracy'],
    ['val-acc', 'val_accuracy'],
    ['eval_loss', 'val_loss'],
    ['train/loss', 'train_loss'],
    ['Grad-Norm', 'grad_norm'],
  ])('normalises %s to %s', (raw, canonical) => {
    expect(normalizeMetricName(raw)).toBe(canonical);
  });

  it('maps every alias to a canonical name that is not itself an alias', () => {
    for (const canonical of Object.values(METRIC_ALIASES)) expect(METRIC_ALIASES[canonical]).toBeUndefined();
  });

  it('rejects lines without digits quickly', () => {
    const started = performance.now();
    for (let i = 0; i < 200_000; i++) parseMetrics('INFO:trainer:loading the dataset from the local cache directory');
    // About 10 ms here; the bound catches a regression to running every regular expression on each line.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('normalises names the same way once many different names have been seen (the remembered ones are bounded)', () => {
    for (let i = 0; i < 3_000; i++) expect(normalizeMetricName(`Metric-${i}/Sub Part`)).toBe(`metric_${i}_sub_part`);
    expect(normalizeMetricName('Val-Loss')).toBe('val_loss');
    expect(normalizeMetricName('Val-Loss')).toBe('val_loss');
    expect(normalizeMetricName('LR')).toBe('learning_rate');
    expect(parseMetrics('epoch=2 Val-Loss=0.5 LR=0.01 step=7')).toEqual({ epoch: 2, step: 7, values: { val_loss: 0.5, learning_rate: 0.01 } });
    // The global patterns are left reset whatever the previous line was.
    expect(parseMetrics('loss=0.25')).toEqual({ values: { loss: 0.25 } });
  });

  it('gives names a database can store: NUL and lone surrogates from JSON escapes as U+FFFD, overlong names dropped', () => {
    const long = 'k'.repeat(MAX_METRIC_NAME_LENGTH + 1);
    const fits = 'k'.repeat(MAX_METRIC_NAME_LENGTH);
    expectParsed([
      [`${STRUCTURED_METRICS_PREFIX}{"a\\u0000b":1,"lone\\udc00":2,"step":3}`, { step: 3, values: { 'a\uFFFDb': 1, 'lone\uFFFD': 2 } }],
      [`${STRUCTURED_METRICS_PREFIX}{"${long}":1,"${fits}":2,"loss":3}`, { values: { [fits]: 2, loss: 3 } }],
      [`{'${long}': 1.0, 'loss': 0.5}`, { values: { loss: 0.5 } }],
      [`${long}=1 loss=0.5`, { values: { loss: 0.5 } }],
    ]);
  });
});
