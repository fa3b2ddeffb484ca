import { HubError } from './errors.ts';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

/** Where and as whom to talk to the Hub, once everything needed is known. */
export interface HubTarget {
  /** Hub base URL, no trailing slash. */
  url: string;
  /** Access token (`hf_…`). */
  token: string;
  /** Results repo as @huggingface/hub designates it: `owner/name` (a model repo) or `datasets/owner/name`. */
  repo: string;
}

/** What the environment says about the Hub; `configured` is false when sync cannot run. */
export interface HubConfig {
  configured: boolean;
  url: string;
  token?: string;
  repo?: string;
  /** Namespace cloud jobs run under: `ANANA_HUB_JOBS_NAMESPACE`, else the owner of the results repo. */
  jobsNamespace?: string;
  /** Variables that are missing for sync, for the NOT_CONFIGURED message. */
  missing: string[];
}

const REPO_PATTERN = /^(datasets\/|spaces\/)?[\w.-]+\/[\w.-]+$/;

/** The owner part of a repo designation (`datasets/team/x` → `team`). */
export function repoOwner(repo: string): string {
  const parts = repo.split('/');
  return parts[parts.length - 2];
}

/**
 * Reads `HF_TOKEN`, `HF_ENDPOINT` (default https://huggingface.co), `ANANA_HUB_REPO` and `ANANA_HUB_JOBS_NAMESPACE`.
 * Never throws: a missing piece only makes `configured` false, so the rest of the product starts regardless.
 */
export function readHubConfig(env: Record<string, string | undefined> = process.env): HubConfig {
  const token = env.HF_TOKEN || undefined;
  const repo = env.ANANA_HUB_REPO || undefined;
  const missing = [!token && 'HF_TOKEN', !repo && 'ANANA_HUB_REPO'].filter((v): v is string => typeof v === 'string');
  return {
    configured: missing.length === 0,
    url: (env.HF_ENDPOINT || DEFAULT_HF_ENDPOINT).replace(/\/+$/, ''),
    token,
    repo,
    jobsNamespace: env.ANANA_HUB_JOBS_NAMESPACE || (repo && REPO_PATTERN.test(repo) ? repoOwner(repo) : undefined),
    missing,
  };
}

function isConfig(hub: HubConfig | HubTarget): hub is HubConfig {
  return 'configured' in hub;
}

/** Checks a token the way the Hub client does, with a message naming the variable. */
export function checkToken(token: string): void {
  if (!token.startsWith('hf_')) throw new HubError('INVALID_INPUT', 'HF_TOKEN must be a Hugging Face access token starting with "hf_"');
}

/**
 * The target sync talks to. Throws NOT_CONFIGURED naming the missing variables, or INVALID_INPUT for a malformed
 * token or repo, before any request is made.
 */
export function requireHubTarget(hub: HubConfig | HubTarget): HubTarget {
  if (isConfig(hub) && (!hub.configured || !hub.token || !hub.repo)) {
    const missing = hub.missing.length ? hub.missing : ['HF_TOKEN', 'ANANA_HUB_REPO'];
    throw new HubError(
      'NOT_CONFIGURED',
      `Hugging Face sync is not configured: set ${missing.join(' and ')} (for example ANANA_HUB_REPO=team/anana-results and a write token in HF_TOKEN)`,
      { missing },
    );
  }
  const target = { url: hub.url.replace(/\/+$/, ''), token: hub.token!, repo: hub.repo! };
  checkToken(target.token);
  if (!REPO_PATTERN.test(target.repo)) {
    throw new HubError('INVALID_INPUT', `ANANA_HUB_REPO must look like owner/name or datasets/owner/name, got ${JSON.stringify(target.repo)}`);
  }
  return target;
}
