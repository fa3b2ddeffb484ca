// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_START_VALUES, StartJobForm, validateStartJob, type FlavorOption, type StartJobRequest } from '../../src/components/start-job-form.tsx';

afterEach(cleanup);

const HUB_FLAVORS: FlavorOption[] = [
  { name: 'cpu', label: 'This machine', executor: 'LOCAL' },
  { name: 't4-small', label: 'T4 small', executor: 'HF_JOBS' },
  { name: 'a10g-large', label: 'A10G large', executor: 'HF_JOBS' },
];

describe('validateStartJob', () => {
  it.each([
    { field: 'trials', value: '0' },
    { field: 'trials', value: '10001' },
    { field: 'trials', value: '2.5' },
    { field: 'trials', value: '' },
    { field: 'trials', value: 'four' },
    { field: 'flavor', value: 'T4 Small' },
    { field: 'flavor', value: '' },
    { field: 'seed', value: '-1' },
    { field: 'seed', value: 'abc' },
    { field: 'maxRetries', value: '11' },
  ] as const)('rejects $field = "$value"', ({ field, value }) => {
    const { errors, request } = validateStartJob({ ...DEFAULT_START_VALUES, [field]: value });
    expect(request).toBeUndefined();
    expect(Object.keys(errors)).toEqual([field]);
  });

  it('builds the request, leaving out an empty seed', () => {
    expect(validateStartJob({ ...DEFAULT_START_VALUES, trials: ' 12 ', seed: '' }).request).toEqual({ trials: 12, quick: true, flavor: 'cpu', executor: 'LOCAL', maxRetries: 0 });
    expect(validateStartJob({ ...DEFAULT_START_VALUES, seed: '42' }).request?.seed).toBe(42);
  });

  it('checks Hugging Face flavors against the listed ones only for that executor', () => {
    expect(validateStartJob({ ...DEFAULT_START_VALUES, executor: 'HF_JOBS', flavor: 'h100x8' }, HUB_FLAVORS).errors.flavor).toMatch(/no flavor "h100x8"/);
    expect(validateStartJob({ ...DEFAULT_START_VALUES, executor: 'HF_JOBS', flavor: 't4-small' }, HUB_FLAVORS).request?.flavor).toBe('t4-small');
    expect(validateStartJob({ ...DEFAULT_START_VALUES, executor: 'LOCAL', flavor: 'whatever' }, HUB_FLAVORS).request?.flavor).toBe('whatever');
  });
});

describe('StartJobForm', () => {
  it('shows each invalid field, marks it, focuses the first and does not submit', async () => {
    const submitted: StartJobRequest[] = [];
    render(<StartJobForm onSubmit={async (request) => void submitted.push(request)} />);
    fireEvent.change(screen.getByLabelText('Trials'), { target: { value: '0' } });
    fireEvent.change(screen.getByLabelText('Max retries'), { target: { value: '99' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start job' }));

    const trials = screen.getByLabelText('Trials');
    expect(trials.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/whole number of trials from 1 to 10000/)).toBeTruthy();
    expect(screen.getByText(/Retries are a whole number from 0 to 10/)).toBeTruthy();
    expect(document.activeElement).toBe(trials);
    expect(submitted).toEqual([]);

    fireEvent.change(trials, { target: { value: '3' } });
    expect(trials.getAttribute('aria-invalid')).toBeNull();
  });

  it('submits a valid request', async () => {
    const submitted: StartJobRequest[] = [];
    render(<StartJobForm onSubmit={async (request) => void submitted.push(request)} />);
    fireEvent.change(screen.getByLabelText('Trials'), { target: { value: '8' } });
    fireEvent.click(screen.getByLabelText(/Quick trials/));
    fireEvent.change(screen.getByLabelText('Seed'), { target: { value: '7' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start job' }));
    await waitFor(() => expect(submitted).toEqual([{ trials: 8, quick: false, flavor: 'cpu', executor: 'LOCAL', seed: 7, maxRetries: 0 }]));
  });

  it('switches to a flavor the chosen executor offers', () => {
    render(<StartJobForm onSubmit={async () => undefined} flavors={HUB_FLAVORS} flavorsNote="Hub flavors unavailable: HF_TOKEN is not set" />);
    fireEvent.change(screen.getByLabelText('Executor'), { target: { value: 'HF_JOBS' } });
    expect((screen.getByLabelText('Flavor') as HTMLInputElement).value).toBe('t4-small');
    expect([...document.querySelectorAll('datalist option')].map((option) => option.getAttribute('value'))).toEqual(['t4-small', 'a10g-large']);
    expect(screen.getByText(/HF_TOKEN is not set/)).toBeTruthy();
  });

  it('puts a server error on the field it names, and other errors in a banner', async () => {
    let answer: Awaited<ReturnType<Parameters<typeof StartJobForm>[0]['onSubmit']>> = { code: 'INVALID_INPUT', message: 'flavor "x" is not known', extensions: {}, field: 'flavor' };
    render(<StartJobForm onSubmit={async () => answer} />);
    fireEvent.click(screen.getByRole('button', { name: 'Start job' }));
    await waitFor(() => expect(screen.getByLabelText('Flavor').getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByText('flavor "x" is not known')).toBeTruthy();

    answer = { code: 'NOT_CONFIGURED', message: 'Hugging Face Jobs need HF_TOKEN', extensions: {} };
    fireEvent.click(screen.getByRole('button', { name: 'Start job' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The job was not started');
    expect(alert.textContent).toContain('NOT_CONFIGURED');
  });
});
