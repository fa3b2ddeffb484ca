import { useId, useState, type FormEvent } from 'react';
import type { ApiError } from '../api/errors.ts';
import { ErrorBanner } from './error-banner.tsx';

export type Executor = 'LOCAL' | 'HF_JOBS';

export interface StartJobValues {
  trials: string;
  quick: boolean;
  flavor: string;
  executor: Executor;
  seed: string;
  maxRetries: string;
}

export interface StartJobRequest {
  trials: number;
  quick: boolean;
  flavor: string;
  executor: Executor;
  seed?: number;
  maxRetries: number;
}

export interface FlavorOption {
  name: string;
  label: string;
  executor?: Executor;
}

export const DEFAULT_START_VALUES: StartJobValues = { trials: '4', quick: true, flavor: 'cpu', executor: 'LOCAL', seed: '', maxRetries: '0' };

/** Used when the server cannot list Hugging Face hardware. */
export const FALLBACK_FLAVORS: FlavorOption[] = [
  { name: 'cpu', label: 'This machine', executor: 'LOCAL' },
  ...['cpu-basic', 'cpu-upgrade', 't4-small', 't4-medium', 'l4x1', 'a10g-small', 'a10g-large', 'a100-large'].map((name) => ({ name, label: name, executor: 'HF_JOBS' as const })),
];

/** The flavors an executor offers; options without an executor fit both. */
export function flavorsFor(options: readonly FlavorOption[], executor: Executor): FlavorOption[] {
  return options.filter((option) => !option.executor || option.executor === executor);
}

const FLAVOR_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
const INTEGER = /^\s*-?\d+\s*$/;

type Errors = Partial<Record<keyof StartJobValues, string>>;

function integerIn(raw: string, min: number, max: number): number | undefined {
  if (!INTEGER.test(raw)) return undefined;
  const value = Number(raw);
  return value >= min && value <= max ? value : undefined;
}

/** The same rules as the server's startJob, checked before sending. */
export function validateStartJob(values: StartJobValues, flavors?: readonly FlavorOption[]): { errors: Errors; request?: StartJobRequest } {
  const errors: Errors = {};
  const trials = integerIn(values.trials, 1, 10_000);
  if (trials === undefined) errors.trials = 'Enter a whole number of trials from 1 to 10000.';
  const flavor = values.flavor.trim();
  if (!FLAVOR_PATTERN.test(flavor)) errors.flavor = 'A flavor is lower-case letters, digits and dashes, e.g. cpu or t4-small.';
  else if (values.executor === 'HF_JOBS' && flavors && flavorsFor(flavors, 'HF_JOBS').length && !flavorsFor(flavors, 'HF_JOBS').some((option) => option.name === flavor))
    errors.flavor = `Hugging Face Jobs has no flavor "${flavor}".`;
  const seed = values.seed.trim() === '' ? undefined : integerIn(values.seed, 0, 2_147_483_647);
  if (values.seed.trim() !== '' && seed === undefined) errors.seed = 'The seed is a whole number from 0 to 2147483647, or empty for a random one.';
  const maxRetries = integerIn(values.maxRetries, 0, 10);
  if (maxRetries === undefined) errors.maxRetries = 'Retries are a whole number from 0 to 10.';
  if (Object.keys(errors).length) return { errors };
  return { errors, request: { trials: trials!, quick: values.quick, flavor, executor: values.executor, ...(seed !== undefined && { seed }), maxRetries: maxRetries! } };
}

interface StartJobFormProps {
  onSubmit(request: StartJobRequest): Promise<ApiError | undefined>;
  /** From hardwareFlavors; a fixed list is offered without it. */
  flavors?: readonly FlavorOption[];
  /** Why the Hub's flavors could not be listed. */
  flavorsNote?: string | null;
}

export function StartJobForm({ onSubmit, flavors, flavorsNote }: StartJobFormProps) {
  const id = useId();
  const [values, setValues] = useState<StartJobValues>(DEFAULT_START_VALUES);
  const [errors, setErrors] = useState<Errors>({});
  const [serverError, setServerError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const options = flavorsFor(flavors?.length ? flavors : FALLBACK_FLAVORS, values.executor);

  const set = <K extends keyof StartJobValues>(key: K, value: StartJobValues[K]) => {
    setValues((previous) => ({ ...previous, [key]: value }));
    if (errors[key]) setErrors((previous) => ({ ...previous, [key]: undefined }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = validateStartJob(values, flavors);
    setErrors(result.errors);
    setServerError(undefined);
    if (!result.request) {
      const first = Object.keys(result.errors)[0];
      document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const error = await onSubmit(result.request);
      if (error?.field && error.field in values) setErrors({ [error.field]: error.message });
      else setServerError(error);
    } finally {
      setBusy(false);
    }
  };

  const field = (key: keyof StartJobValues) => ({
    id: `${id}-${key}`,
    'aria-invalid': errors[key] ? true : undefined,
    'aria-describedby': errors[key] ? `${id}-${key}-error` : undefined,
  });
  const message = (key: keyof StartJobValues) =>
    errors[key] && (
      <span className="field-error" id={`${id}-${key}-error`}>
        {errors[key]}
      </span>
    );

  return (
    <form className="start-form" onSubmit={submit} noValidate aria-label="Start a tuning job">
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-trials`}>Trials</label>
          <input {...field('trials')} inputMode="numeric" value={values.trials} onChange={(event) => set('trials', event.target.value)} />
          {message('trials')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-executor`}>Executor</label>
          <select
            {...field('executor')}
            value={values.executor}
            onChange={(event) => {
              const executor = event.target.value as Executor;
              set('executor', executor);
              const offered = flavorsFor(flavors?.length ? flavors : FALLBACK_FLAVORS, executor);
              if (offered.length && !offered.some((option) => option.name === values.flavor)) set('flavor', offered[0].name);
            }}
          >
            <option value="LOCAL">Local process</option>
            <option value="HF_JOBS">Hugging Face Jobs</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-flavor`}>Flavor</label>
          <input {...field('flavor')} list={`${id}-flavors`} value={values.flavor} onChange={(event) => set('flavor', event.target.value)} spellCheck={false} />
          <datalist id={`${id}-flavors`}>
            {options.map((option) => (
              <option key={option.name} value={option.name}>
                {option.label}
              </option>
            ))}
          </datalist>
          {message('flavor')}
          {values.executor === 'HF_JOBS' && flavorsNote && <span className="field-hint">{flavorsNote}</span>}
        </div>
        <div className="field">
          <label htmlFor={`${id}-seed`}>Seed</label>
          <input {...field('seed')} inputMode="numeric" placeholder="random" value={values.seed} onChange={(event) => set('seed', event.target.value)} />
          {message('seed')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-maxRetries`}>Max retries</label>
          <input {...field('maxRetries')} inputMode="numeric" value={values.maxRetries} onChange={(event) => set('maxRetries', event.target.value)} />
          {message('maxRetries')}
        </div>
        <label className="field checkbox" htmlFor={`${id}-quick`}>
          <input {...field('quick')} type="checkbox" checked={values.quick} onChange={(event) => set('quick', event.target.checked)} />
          <span>Quick trials (≈1–2 s each)</span>
        </label>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Starting…' : 'Start job'}
          </button>
        </div>
      </div>
      <ErrorBanner error={serverError} title="The job was not started" />
    </form>
  );
}
