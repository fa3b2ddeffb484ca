/**
 * A local HTTP server standing in for the Hugging Face Hub in tests (point `HF_ENDPOINT` / `hubUrl` at `url`).
 *
 * It speaks what @huggingface/hub 2.17 actually sends (read from node_modules/@huggingface/hub/src/lib), so the
 * code under test runs the real library, not a mock of it. Endpoints (`{t}` is `models`, `datasets` or `spaces`;
 * `{repo}` is `namespace/name`; `{rev}` is `main`, `HEAD` or a 40-hex commit id):
 *
 * - `POST /api/repos/create` — createRepo; 409 when the repo exists; a new repo gets an initial commit with `.gitattributes`
 * - `GET  /api/whoami-v2` — whoAmI
 * - `GET  /api/{t}/{repo}` — repoExists
 * - `GET  /api/{t}/{repo}/revision/{rev}` — modelInfo / datasetInfo / spaceInfo (`sha`, `siblings`); snapshotDownload
 * - `GET  /api/{t}/{repo}/tree/{rev}[/{path}]?recursive=&expand=&cursor=` — listFiles; pages of `treePageSize`
 *   chained by `Link: <…>; rel="next"`; `lastCommit` when `expand=true`
 * - `POST /api/{t}/{repo}/paths-info/{rev}` — pathsInfo (used by downloadFileToCacheDir), JSON or form body
 * - `POST /api/{t}/{repo}/preupload/{rev}` — commit phase 1: `uploadMode` "regular" below `lfsThresholdBytes`, else "lfs"
 * - `POST /[{t}/]{repo}.git/info/lfs/objects/batch` — LFS batch (upload and download), `basic` transfer only, so a
 *   caller asking for xet falls back to basic exactly as against the real Hub
 * - `PUT|GET /__lfs/{sha256}` — the storage URLs the batch hands out; unauthenticated, like presigned URLs
 * - `POST /api/{t}/{repo}/commit/{rev}` — NDJSON: `header` (a `parentCommit` other than the branch head → 412
 *   "A commit has happened since…", as the Hub answers), `file` (inline base64), `lfsFile`, `deletedFile`, `deletedFolder`
 * - `GET|HEAD /[{t}/]{repo}/resolve/{rev}/{path}` — downloadFile / fileDownloadInfo / WebBlob: `Range` → 206 with
 *   `Content-Range`; `ETag`, `X-Repo-Commit`, `Accept-Ranges`; `X-Linked-Etag` / `X-Linked-Size` for LFS files; a missing
 *   file is 404 with `X-Error-Code: EntryNotFound` (RepoNotFound / RevisionNotFound likewise); a range past the end is 416
 * - `GET|HEAD /[{t}/]{repo}/raw/{rev}/{path}` — as resolve, but an LFS file comes back as its pointer (fileExists uses HEAD)
 * - `GET  /api/jobs/hardware` — listJobHardware; public, prices per minute as the Hub gives them
 * - `POST /api/jobs/{ns}` — runJob (unknown flavor → 400)
 * - `GET  /api/jobs/{ns}` — listJobs
 * - `GET  /api/jobs/{ns}/{id}` — getJob; stages RUNNING → COMPLETED | ERROR | CANCELED
 * - `POST /api/jobs/{ns}/{id}/cancel` — cancelJob → stage CANCELED, open log streams end
 * - `GET  /api/jobs/{ns}/{id}/logs` — streamJobLogs: SSE `data: {"data": …, "timestamp": …}` lines, beginning with the
 *   Hub's "===== Job started at … =====" banner; like the Hub, every connection replays the log from its first line,
 *   then follows live lines, and ends when the job ends (unless `jobs.holdLogStreamsOpen`); `: keep-alive` comments
 *
 * Every endpoint except `/__lfs/*` and `/api/jobs/hardware` requires `Authorization: Bearer <token>` (401 otherwise).
 * Not spoken (the code under test does not call them): xet, buckets, branches other than main, pull requests,
 * scheduled jobs, job events/metrics.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeRepoType = 'model' | 'dataset' | 'space';

export interface FakeHubRequest {
  method: string;
  /** Decoded path, without the query string. */
  path: string;
  /** The raw query string, `?…` or empty. */
  search: string;
  /** Filled in once the response is finished. */
  status?: number;
}

export interface FakeJobScript {
  /** Lines the job prints, one per `intervalMs`. */
  lines: string[];
  intervalMs: number;
  /** Time between the job being accepted and its first line (the Hub's banner). */
  startDelayMs: number;
  /** Stage the job ends in after its last line. */
  outcome: 'COMPLETED' | 'ERROR';
}

export interface FakeJobView {
  id: string;
  namespace: string;
  stage: string;
  flavor: string;
  dockerImage?: string;
  command?: string[];
  arguments?: string[];
  environment: Record<string, string>;
  /** Secret values as received; the API only ever shows their names. */
  secrets: Record<string, string>;
  /** Lines emitted so far, the banner included. */
  logLines: string[];
  /** How many times its log stream was opened. */
  logConnections: number;
}

export interface FakeJobs {
  /** Script of the jobs started from now on (merged over the current one). */
  setScript(script: Partial<FakeJobScript>): void;
  list(): FakeJobView[];
  get(id: string): FakeJobView | undefined;
  /**
   * The next log-stream connection is cut (socket destroyed, as a network drop) after it has written `n` `data:` lines.
   * Calls queue up: each applies to one further connection.
   */
  dropLogStreamAfter(n: number): void;
  /**
   * Log streams stay open on keep-alives after their job ended instead of closing, as the Hub has been seen doing
   * (huggingface_hub's client mentions "infinite empty log streams"); a client must then notice the end by itself.
   */
  holdLogStreamsOpen(hold: boolean): void;
}

export interface FakeHubOptions {
  /** Defaults to a random `hf_…` token. */
  token?: string;
  /** The user the token belongs to (whoami, job owner). Default `anana-tester`. */
  namespace?: string;
  /** Entries per tree page before a `Link: rel="next"` (default 1000); small values exercise paging. */
  treePageSize?: number;
  /** Preupload answers "lfs" for files at least this big (default 10 MiB, as the Hub). */
  lfsThresholdBytes?: number;
  /** Default script of cloud jobs. */
  jobScript?: Partial<FakeJobScript>;
  /** Interval of SSE `: keep-alive` comments (default 15 s). */
  keepAliveMs?: number;
}

export interface FakeHub {
  url: string;
  token: string;
  namespace: string;
  requests: FakeHubRequest[];
  clearRequests(): void;
  /** Creates an empty repo (initial commit with `.gitattributes`), like createRepo. `repo` as the library takes it. */
  createRepo(repo: string): void;
  hasRepo(repo: string): boolean;
  /** A remote commit on main, as if another machine pushed; creates the repo if needed. Returns the commit id. */
  putFile(repo: string, path: string, content: Buffer | string, opts?: { lfs?: boolean; title?: string }): string;
  deleteFile(repo: string, path: string): string;
  getFile(repo: string, path: string, rev?: string): Buffer | undefined;
  /** File paths at the head of main, sorted. */
  listFiles(repo: string): string[];
  headCommit(repo: string): string;
  /** The next `n` commit requests each find that another machine committed first (a README.md change landing). */
  failNextCommits(n: number): void;
  /** Runs once, when the next commit request arrives and before its parentCommit is checked. */
  beforeNextCommit(hook: () => void): void;
  jobs: FakeJobs;
  close(): Promise<void>;
}

interface StoredFile {
  content: Buffer;
  /** Git blob id of what git stores: the content, or the pointer for an LFS file. */
  oid: string;
  lfs?: { oid: string; size: number; pointerSize: number };
  lastCommit: string;
}

interface Commit {
  id: string;
  parent: string | null;
  title: string;
  date: string;
  files: Map<string, StoredFile>;
}

interface Repo {
  type: FakeRepoType;
  name: string;
  internalId: string;
  createdAt: string;
  main: string;
  commits: Map<string, Commit>;
}

type CommitOp = { kind: 'put'; path: string; content: Buffer; lfs: boolean } | { kind: 'delete'; path: string } | { kind: 'deleteFolder'; path: string };

interface JobLine {
  data: string;
  timestamp: string;
}

interface JobState {
  id: string;
  namespace: string;
  spec: Record<string, unknown>;
  secrets: Record<string, string>;
  stage: 'RUNNING' | 'COMPLETED' | 'ERROR' | 'CANCELED';
  message: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  lines: JobLine[];
  listeners: Set<(line: JobLine | null) => void>;
  timer?: NodeJS.Timeout;
  logConnections: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorCode?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const TYPE_PREFIX: Record<string, FakeRepoType> = { models: 'model', datasets: 'dataset', spaces: 'space' };
const URL_PREFIX: Record<FakeRepoType, string> = { model: '', dataset: 'datasets/', space: 'spaces/' };
const GITATTRIBUTES = '*.onnx filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n';

/** Prices as the Hub lists them: per minute, in USD and micro-USD. */
const HARDWARE = [
  hardware('cpu-basic', 'CPU Basic', '2 vCPU', '16 GB', null, 167),
  hardware('cpu-upgrade', 'CPU Upgrade', '8 vCPU', '32 GB', null, 500),
  hardware('t4-small', 'Nvidia T4 - small', '4 vCPU', '15 GB', gpu('T4', '1', '16 GB'), 6667),
  hardware('t4-medium', 'Nvidia T4 - medium', '8 vCPU', '30 GB', gpu('T4', '1', '16 GB'), 10000),
  hardware('a10g-small', 'Nvidia A10G - small', '4 vCPU', '15 GB', gpu('A10G', '1', '24 GB'), 16667),
  hardware('a10g-large', 'Nvidia A10G - large', '12 vCPU', '46 GB', gpu('A10G', '1', '24 GB'), 25000),
  hardware('a100-large', 'Nvidia A100 - large', '12 vCPU', '142 GB', gpu('A100', '1', '80 GB'), 41667),
];

function gpu(model: string, quantity: string, vram: string) {
  return { type: 'gpu' as const, model, quantity, vram, manufacturer: 'Nvidia' as const };
}

function hardware(name: string, prettyName: string, cpu: string, ram: string, accelerator: ReturnType<typeof gpu> | null, unitCostMicroUSD: number) {
  return { name, prettyName, cpu, ram, accelerator, unitCostMicroUSD, unitCostUSD: unitCostMicroUSD / 1e6, unitLabel: 'minute' };
}

const sha1 = (data: Buffer | string) => createHash('sha1').update(data).digest('hex');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const gitBlobOid = (content: Buffer) => sha1(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]));
const lfsPointer = (oid: string, size: number) => Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`);
const hexId = (bytes: number) => randomBytes(bytes).toString('hex');

function parseRepo(designation: string): { type: FakeRepoType; name: string } {
  const [first, ...rest] = designation.split('/');
  const type = TYPE_PREFIX[first];
  return type && rest.length === 2 ? { type, name: rest.join('/') } : { type: 'model', name: designation };
}

const repoKey = (type: FakeRepoType, name: string) => `${type}:${name}`;

/** A path the Hub would refuse in a commit (putFile, the "other machine", is deliberately not held to this). */
function isValidRepoPath(path: string): boolean {
  return path.length > 0 && !path.startsWith('/') && !path.includes('\\') && path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(data.length), ...headers });
  res.end(data);
}

/** Starts the fake Hub on 127.0.0.1 with an ephemeral port. */
export async function startFakeHub(opts: FakeHubOptions = {}): Promise<FakeHub> {
  const token = opts.token ?? `hf_${hexId(16)}`;
  const namespace = opts.namespace ?? 'anana-tester';
  const treePageSize = opts.treePageSize ?? 1000;
  const lfsThreshold = opts.lfsThresholdBytes ?? 10 * 1024 * 1024;
  const keepAliveMs = opts.keepAliveMs ?? 15_000;
  let jobScript: FakeJobScript = { lines: ['hello from the cloud'], intervalMs: 20, startDelayMs: 0, outcome: 'COMPLETED', ...opts.jobScript };

  const repos = new Map<string, Repo>();
  const lfsStore = new Map<string, Buffer>();
  const jobs = new Map<string, JobState>();
  const requests: FakeHubRequest[] = [];
  const commitHooks: Array<() => void> = [];
  const logDrops: number[] = [];
  let holdStreamsOpen = false;
  const openStreams = new Set<ServerResponse>();
  let commitCounter = 0;
  let pendingFailures = 0;
  let baseUrl = '';

  // ---- repository model -------------------------------------------------------------------------------------------

  function findRepo(type: FakeRepoType, name: string): Repo {
    const repo = repos.get(repoKey(type, name));
    if (!repo) throw new HttpError(404, 'Repository not found', 'RepoNotFound');
    return repo;
  }

  function resolveRev(repo: Repo, rev: string): Commit {
    const id = rev === 'main' || rev === 'HEAD' ? repo.main : rev;
    const commit = repo.commits.get(id);
    if (!commit) throw new HttpError(404, `Invalid rev id: ${rev}`, 'RevisionNotFound');
    return commit;
  }

  function applyCommit(repo: Repo, title: string, ops: CommitOp[]): string {
    const parent = repo.commits.get(repo.main);
    const files = new Map(parent?.files ?? []);
    const id = sha1(`${repo.main}:${title}:${++commitCounter}:${hexId(8)}`);
    for (const op of ops) {
      if (op.kind === 'put') {
        if (op.lfs) {
          const oid = sha256(op.content);
          lfsStore.set(oid, op.content);
          const pointer = lfsPointer(oid, op.content.length);
          files.set(op.path, { content: op.content, oid: gitBlobOid(pointer), lfs: { oid, size: op.content.length, pointerSize: pointer.length }, lastCommit: id });
        } else {
          files.set(op.path, { content: op.content, oid: gitBlobOid(op.content), lastCommit: id });
        }
      } else if (op.kind === 'delete') {
        if (!files.delete(op.path)) throw new HttpError(404, `File ${op.path} does not exist`, 'EntryNotFound');
      } else {
        for (const path of [...files.keys()]) if (path.startsWith(`${op.path.replace(/\/$/, '')}/`)) files.delete(path);
      }
    }
    repo.commits.set(id, { id, parent: parent?.id ?? null, title, date: new Date().toISOString(), files });
    repo.main = id;
    return id;
  }

  function createRepoState(type: FakeRepoType, name: string): Repo {
    const repo: Repo = { type, name, internalId: hexId(12), createdAt: new Date().toISOString(), main: '', commits: new Map() };
    repos.set(repoKey(type, name), repo);
    applyCommit(repo, 'initial commit', [{ kind: 'put', path: '.gitattributes', content: Buffer.from(GITATTRIBUTES), lfs: false }]);
    return repo;
  }

  function repoFromDesignation(designation: string, create: boolean): Repo | undefined {
    const { type, name } = parseRepo(designation);
    return repos.get(repoKey(type, name)) ?? (create ? createRepoState(type, name) : undefined);
  }

  function landConcurrentCommit(repo: Repo): void {
    const n = commitCounter + 1;
    applyCommit(repo, `concurrent commit ${n}`, [{ kind: 'put', path: 'README.md', content: Buffer.from(`# results\n\nconcurrent edit ${n}\n`), lfs: false }]);
  }

  function treeEntry(path: string, file: StoredFile | undefined, commit: Commit, repo: Repo, expand: boolean) {
    if (!file) return { type: 'directory', oid: sha1(`tree:${commit.id}:${path}`), size: 0, path };
    const last = repo.commits.get(file.lastCommit);
    return {
      type: 'file',
      oid: file.oid,
      size: file.content.length,
      path,
      ...(file.lfs && { lfs: file.lfs }),
      ...(expand && last && { lastCommit: { id: last.id, title: last.title, date: last.date } }),
    };
  }

  /** Files and the directories they imply below `prefix` (all of them, or only direct children). */
  function listTree(commit: Commit, prefix: string, recursive: boolean): Array<{ path: string; file?: StoredFile }> {
    const base = prefix ? `${prefix}/` : '';
    const dirs = new Set<string>();
    const out: Array<{ path: string; file?: StoredFile }> = [];
    for (const [path, file] of commit.files) {
      if (!path.startsWith(base)) continue;
      const segments = path.slice(base.length).split('/');
      const depth = recursive ? segments.length - 1 : Math.min(1, segments.length - 1);
      for (let i = 1; i <= depth; i++) dirs.add(base + segments.slice(0, i).join('/'));
      if (recursive || segments.length === 1) out.push({ path, file });
    }
    for (const dir of dirs) out.push({ path: dir });
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  function repoInfo(repo: Repo, commit: Commit) {
    const [author] = repo.name.split('/');
    return {
      _id: repo.internalId,
      id: repo.name,
      ...(repo.type === 'model' && { modelId: repo.name }),
      author,
      sha: commit.id,
      private: true,
      gated: false,
      disabled: false,
      downloads: 0,
      likes: 0,
      tags: [],
      createdAt: repo.createdAt,
      lastModified: commit.date,
      siblings: [...commit.files.keys()].sort().map((rfilename) => ({ rfilename })),
    };
  }

  // ---- jobs ---------------------------------------------------------------------------------------------------------

  function jobJson(job: JobState) {
    const spec = job.spec;
    return {
      type: 'job',
      id: job.id,
      status: { stage: job.stage, message: job.message, failureCount: job.stage === 'ERROR' ? 1 : 0 },
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      createdBy: { id: namespace, name: namespace },
      owner: { id: job.namespace, name: job.namespace, type: 'user' },
      dockerImage: spec.dockerImage ?? null,
      spaceId: spec.spaceId ?? null,
      command: spec.command ?? null,
      arguments: spec.arguments ?? [],
      environment: spec.environment ?? {},
      secrets: Object.keys(job.secrets),
      flavor: spec.flavor,
      arch: spec.arch ?? 'amd64',
      timeoutSeconds: spec.timeoutSeconds ?? null,
      labels: spec.labels ?? null,
    };
  }

  function emitLine(job: JobState, data: string): void {
    const line = { data, timestamp: new Date().toISOString() };
    job.lines.push(line);
    for (const listener of job.listeners) listener(line);
  }

  function endJob(job: JobState, stage: JobState['stage'], message: string | null): void {
    if (job.stage !== 'RUNNING') return;
    clearTimeout(job.timer);
    job.stage = stage;
    job.message = message;
    job.finishedAt = new Date().toISOString();
    for (const listener of job.listeners) listener(null);
  }

  function scheduleJob(job: JobState, script: FakeJobScript): void {
    let next = 0;
    const tick = () => {
      if (job.stage !== 'RUNNING') return;
      if (next < script.lines.length) {
        emitLine(job, script.lines[next++]);
        job.timer = setTimeout(tick, script.intervalMs);
      } else {
        endJob(job, script.outcome, script.outcome === 'ERROR' ? 'Job failed with exit code: 1' : null);
      }
    };
    job.timer = setTimeout(() => {
      job.startedAt = new Date().toISOString();
      emitLine(job, `===== Job started at ${job.startedAt} =====`);
      job.timer = setTimeout(tick, script.intervalMs);
    }, script.startDelayMs);
  }

  function findJob(ns: string, id: string): JobState {
    const job = jobs.get(id);
    if (!job || job.namespace !== ns) throw new HttpError(404, `Job ${id} not found`);
    return job;
  }

  function streamLogs(res: ServerResponse, job: JobState): void {
    job.logConnections++;
    const dropAfter = logDrops.shift();
    let written = 0;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    openStreams.add(res);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
    const finish = () => {
      clearInterval(keepAlive);
      job.listeners.delete(listener);
      openStreams.delete(res);
    };
    const listener = (line: JobLine | null) => {
      if (res.destroyed || res.writableEnded) return;
      if (!line) {
        if (holdStreamsOpen) return;
        finish();
        res.end();
        return;
      }
      written++;
      const cut = dropAfter !== undefined && written >= dropAfter;
      // Destroy only once the last line reached the socket, so the client got exactly `dropAfter` lines.
      res.write(`data: ${JSON.stringify(line)}\n\n`, () => {
        if (cut) res.socket?.destroy();
      });
      if (cut) finish();
    };
    res.on('close', finish);
    for (const line of job.lines) {
      listener(line);
      if (!openStreams.has(res)) return;
    }
    if (job.stage !== 'RUNNING') listener(null);
    else job.listeners.add(listener);
  }

  // ---- HTTP ---------------------------------------------------------------------------------------------------------

  function requireAuth(req: IncomingMessage, optional = false): void {
    const header = req.headers.authorization;
    if (!header && optional) return;
    if (header !== `Bearer ${token}`) throw new HttpError(401, 'Invalid credentials in Authorization header', undefined);
  }

  async function handleApiRepo(req: IncomingMessage, res: ServerResponse, url: URL, type: FakeRepoType, segs: string[]): Promise<void> {
    const name = `${segs[0]}/${segs[1]}`;
    const repo = findRepo(type, name);
    const [op, rev, ...rest] = segs.slice(2);
    if (op === undefined && req.method === 'GET') return sendJson(res, 200, repoInfo(repo, resolveRev(repo, 'main')));
    if (op === 'revision' && req.method === 'GET') return sendJson(res, 200, repoInfo(repo, resolveRev(repo, rev)));
    if (op === 'tree' && req.method === 'GET') {
      const commit = resolveRev(repo, rev);
      const prefix = rest.join('/');
      if (prefix && !commit.files.has(prefix) && ![...commit.files.keys()].some((p) => p.startsWith(`${prefix}/`))) {
        throw new HttpError(404, `Entry not found`, 'EntryNotFound');
      }
      const recursive = url.searchParams.get('recursive') === 'true' || url.searchParams.get('recursive') === '1';
      const expand = url.searchParams.get('expand') === 'true';
      const all = listTree(commit, prefix, recursive);
      const start = Number(url.searchParams.get('cursor') ?? '0') || 0;
      const page = all.slice(start, start + treePageSize).map((e) => treeEntry(e.path, e.file, commit, repo, expand));
      const headers: Record<string, string> = {};
      if (start + treePageSize < all.length) {
        const next = new URL(url.href);
        next.searchParams.set('cursor', String(start + treePageSize));
        headers.Link = `<${baseUrl}${next.pathname}${next.search}>; rel="next"`;
      }
      return sendJson(res, 200, page, headers);
    }
    if (op === 'paths-info' && req.method === 'POST') {
      const commit = resolveRev(repo, rev);
      const raw = (await readBody(req)).toString('utf8');
      const body: { paths?: string[]; expand?: boolean | string } = (req.headers['content-type'] ?? '').includes('json')
        ? JSON.parse(raw || '{}')
        : { paths: new URLSearchParams(raw).getAll('paths'), expand: new URLSearchParams(raw).get('expand') ?? undefined };
      const expand = body.expand === true || body.expand === 'true';
      const found = (body.paths ?? []).flatMap((p) => {
        if (commit.files.has(p)) return [treeEntry(p, commit.files.get(p), commit, repo, expand)];
        return [...commit.files.keys()].some((f) => f.startsWith(`${p}/`)) ? [treeEntry(p, undefined, commit, repo, expand)] : [];
      });
      return sendJson(res, 200, found);
    }
    if (op === 'preupload' && req.method === 'POST') {
      resolveRev(repo, rev);
      const body = JSON.parse((await readBody(req)).toString('utf8')) as { files: Array<{ path: string; size: number }> };
      return sendJson(res, 200, {
        files: body.files.map((f) => ({ path: f.path, uploadMode: f.size >= lfsThreshold ? 'lfs' : 'regular', shouldIgnore: false })),
      });
    }
    if (op === 'commit' && req.method === 'POST') return handleCommit(req, res, url, repo, rev);
    throw new HttpError(404, `Not found: ${req.method} ${url.pathname}`);
  }

  async function handleCommit(req: IncomingMessage, res: ServerResponse, url: URL, repo: Repo, rev: string): Promise<void> {
    if (rev !== 'main') throw new HttpError(404, `Invalid rev id: ${rev}`, 'RevisionNotFound');
    if (url.searchParams.has('create_pr')) throw new HttpError(400, 'Pull requests are not supported by the fake Hub');
    const lines = (await readBody(req)).toString('utf8').split('\n').filter((l) => l.trim());
    const entries = lines.map((l) => JSON.parse(l) as { key: string; value: Record<string, unknown> });
    const header = entries.find((e) => e.key === 'header')?.value as { summary?: string; parentCommit?: string } | undefined;
    if (!header?.summary) throw new HttpError(400, 'A commit needs a header with a summary');

    const hook = commitHooks.shift();
    if (hook) hook();
    if (pendingFailures > 0) {
      pendingFailures--;
      landConcurrentCommit(repo);
    }
    if (header.parentCommit && header.parentCommit !== repo.main) {
      throw new HttpError(412, 'A commit has happened since. Please refresh and try again.');
    }

    const ops: CommitOp[] = entries
      .filter((e) => e.key !== 'header')
      .map((e) => {
        const path = String(e.value.path ?? '');
        if (!isValidRepoPath(path.replace(/\/$/, ''))) throw new HttpError(400, `Invalid path: ${JSON.stringify(path)}`);
        switch (e.key) {
          case 'file':
            return { kind: 'put', path, lfs: false, content: Buffer.from(String(e.value.content), e.value.encoding === 'base64' ? 'base64' : 'utf8') };
          case 'lfsFile': {
            const content = lfsStore.get(String(e.value.oid));
            if (!content) throw new HttpError(422, 'Your push was rejected because an LFS pointer pointed to a file that does not exist');
            return { kind: 'put', path, lfs: true, content };
          }
          case 'deletedFile':
            return { kind: 'delete', path };
          case 'deletedFolder':
            return { kind: 'deleteFolder', path };
          default:
            throw new HttpError(400, `Unknown commit operation ${e.key}`);
        }
      });
    const commitOid = applyCommit(repo, header.summary, ops);
    sendJson(res, 200, { success: true, commitOid, commitUrl: `${baseUrl}/${URL_PREFIX[repo.type]}${repo.name}/commit/${commitOid}`, hookOutput: '' });
  }

  function serveFile(req: IncomingMessage, res: ServerResponse, repo: Repo, rev: string, path: string, raw: boolean): void {
    const commit = resolveRev(repo, rev);
    const file = commit.files.get(path);
    if (!file) throw new HttpError(404, 'Entry not found', 'EntryNotFound');
    const body = raw && file.lfs ? lfsPointer(file.lfs.oid, file.lfs.size) : file.content;
    const etag = `"${!raw && file.lfs ? file.lfs.oid : file.oid}"`;
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'X-Repo-Commit': commit.id,
      ...(!raw && file.lfs && { 'X-Linked-Etag': etag, 'X-Linked-Size': String(file.lfs.size) }),
    };
    const range = req.headers.range;
    let status = 200;
    let slice = body;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range);
      if (!m || (m[1] === '' && m[2] === '')) throw new HttpError(416, 'Invalid range', undefined, { 'Content-Range': `bytes */${body.length}` });
      const start = m[1] === '' ? Math.max(0, body.length - Number(m[2])) : Number(m[1]);
      const end = m[1] === '' || m[2] === '' ? body.length - 1 : Math.min(Number(m[2]), body.length - 1);
      if (start >= body.length || start > end) throw new HttpError(416, 'Range not satisfiable', undefined, { 'Content-Range': `bytes */${body.length}` });
      status = 206;
      slice = body.subarray(start, end + 1);
      headers['Content-Range'] = `bytes ${start}-${end}/${body.length}`;
    }
    headers['Content-Length'] = String(slice.length);
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : slice);
  }

  async function handleLfsBatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = JSON.parse((await readBody(req)).toString('utf8')) as { operation: string; objects: Array<{ oid: string; size: number }> };
    const objects = body.objects.map(({ oid, size }) => {
      const stored = lfsStore.get(oid);
      if (body.operation === 'download') {
        return stored
          ? { oid, size, authenticated: true, actions: { download: { href: `${baseUrl}/__lfs/${oid}` } } }
          : { oid, size, error: { code: 404, message: 'Object does not exist' } };
      }
      return stored?.length === size ? { oid, size } : { oid, size, authenticated: true, actions: { upload: { href: `${baseUrl}/__lfs/${oid}`, header: {} } } };
    });
    sendJson(res, 200, { transfer: 'basic', objects }, { 'Content-Type': 'application/vnd.git-lfs+json', 'X-Request-Id': hexId(8) });
  }

  async function handleJobs(req: IncomingMessage, res: ServerResponse, segs: string[]): Promise<void> {
    if (segs[0] === 'hardware' && segs.length === 1 && req.method === 'GET') {
      requireAuth(req, true);
      return sendJson(res, 200, HARDWARE);
    }
    requireAuth(req);
    const [ns, id, action] = segs;
    if (!id && req.method === 'POST') {
      const spec = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<string, unknown>;
      if (!HARDWARE.some((h) => h.name === spec.flavor)) throw new HttpError(400, `Invalid flavor: ${String(spec.flavor)}`);
      if (!spec.dockerImage === !spec.spaceId) throw new HttpError(400, 'Exactly one of dockerImage or spaceId is required');
      const { secrets, ...publicSpec } = spec;
      const job: JobState = {
        id: hexId(12),
        namespace: ns,
        spec: publicSpec,
        secrets: (secrets as Record<string, string>) ?? {},
        stage: 'RUNNING',
        message: null,
        createdAt: new Date().toISOString(),
        startedAt: null,
        finishedAt: null,
        lines: [],
        listeners: new Set(),
        logConnections: 0,
      };
      jobs.set(job.id, job);
      scheduleJob(job, jobScript);
      return sendJson(res, 200, jobJson(job));
    }
    if (!id && req.method === 'GET') return sendJson(res, 200, [...jobs.values()].filter((j) => j.namespace === ns).map(jobJson));
    const job = findJob(ns, id);
    if (!action && req.method === 'GET') return sendJson(res, 200, jobJson(job));
    if (action === 'cancel' && req.method === 'POST') {
      endJob(job, 'CANCELED', 'Job canceled by user');
      return sendJson(res, 200, jobJson(job));
    }
    if (action === 'logs' && req.method === 'GET') return streamLogs(res, job);
    throw new HttpError(404, `Not found: ${req.method} /api/jobs/${segs.join('/')}`);
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const segs = url.pathname.split('/').slice(1).map((s) => decodeURIComponent(s));
    const method = req.method ?? 'GET';

    if (segs[0] === '__lfs' && segs.length === 2) {
      const oid = segs[1];
      if (method === 'PUT') {
        const body = await readBody(req);
        if (sha256(body) !== oid) throw new HttpError(400, 'Uploaded content does not match its oid');
        lfsStore.set(oid, body);
        res.writeHead(200, { ETag: `"${oid}"` }).end();
        return;
      }
      const content = lfsStore.get(oid);
      if (!content) throw new HttpError(404, 'Object does not exist');
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(content.length) }).end(content);
      return;
    }
    if (segs[0] === 'api' && segs[1] === 'jobs') return handleJobs(req, res, segs.slice(2));

    requireAuth(req);
    if (segs[0] === 'api') {
      if (segs[1] === 'repos' && segs[2] === 'create' && method === 'POST') {
        const body = JSON.parse((await readBody(req)).toString('utf8')) as {
          name: string;
          organization?: string;
          type?: FakeRepoType;
          files?: Array<{ path: string; content: string }>;
        };
        const type = body.type ?? 'model';
        const name = `${body.organization ?? namespace}/${body.name}`;
        const url = `${baseUrl}/${URL_PREFIX[type]}${name}`;
        if (repos.has(repoKey(type, name))) throw new HttpError(409, `You already created this ${type} repo`, undefined, {});
        const repo = createRepoState(type, name);
        if (body.files?.length) {
          applyCommit(repo, 'Add files', body.files.map((f) => ({ kind: 'put', path: f.path, content: Buffer.from(f.content, 'base64'), lfs: false })));
        }
        return sendJson(res, 200, { url, name, id: repo.internalId });
      }
      if (segs[1] === 'whoami-v2' && method === 'GET') {
        return sendJson(res, 200, { type: 'user', id: namespace, name: namespace, fullname: namespace, orgs: [], auth: { type: 'access_token', accessToken: { displayName: 'fake', role: 'write' } } });
      }
      const type = TYPE_PREFIX[segs[1]];
      if (type && segs.length >= 4) return handleApiRepo(req, res, url, type, segs.slice(2));
      throw new HttpError(404, `Not found: ${method} ${url.pathname}`);
    }

    // Git-side routes: [datasets|spaces/]ns/name/(resolve|raw)/rev/path… and [datasets|spaces/]ns/name.git/info/lfs/objects/batch
    const typed = TYPE_PREFIX[segs[0]] && segs[0] !== 'models' && segs.length >= 4 && (segs[3] === 'resolve' || segs[3] === 'raw' || segs[2].endsWith('.git'));
    const type: FakeRepoType = typed ? TYPE_PREFIX[segs[0]] : 'model';
    const rest = typed ? segs.slice(1) : segs;
    if (rest.length === 6 && rest[1].endsWith('.git') && rest.slice(2).join('/') === 'info/lfs/objects/batch' && method === 'POST') {
      findRepo(type, `${rest[0]}/${rest[1].slice(0, -4)}`);
      return handleLfsBatch(req, res);
    }
    if (rest.length >= 5 && (rest[2] === 'resolve' || rest[2] === 'raw') && (method === 'GET' || method === 'HEAD')) {
      return serveFile(req, res, findRepo(type, `${rest[0]}/${rest[1]}`), rest[3], rest.slice(4).join('/'), rest[2] === 'raw');
    }
    throw new HttpError(404, `Not found: ${method} ${url.pathname}`);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', baseUrl);
    const record: FakeHubRequest = { method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), search: url.search };
    requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    res.on('close', () => (record.status ??= res.statusCode));
    route(req, res, url).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const e = error instanceof HttpError ? error : new HttpError(500, error instanceof Error ? error.message : String(error));
      sendJson(res, e.status, { error: e.message }, { ...(e.errorCode && { 'X-Error-Code': e.errorCode }), 'X-Error-Message': e.message, ...e.headers });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function requireRepo(designation: string): Repo {
    const repo = repoFromDesignation(designation, false);
    if (!repo) throw new Error(`fake hub: no repo ${designation}`);
    return repo;
  }

  const jobView = (job: JobState): FakeJobView => ({
    id: job.id,
    namespace: job.namespace,
    stage: job.stage,
    flavor: String(job.spec.flavor),
    dockerImage: job.spec.dockerImage as string | undefined,
    command: job.spec.command as string[] | undefined,
    arguments: job.spec.arguments as string[] | undefined,
    environment: (job.spec.environment as Record<string, string>) ?? {},
    secrets: { ...job.secrets },
    logLines: job.lines.map((l) => l.data),
    logConnections: job.logConnections,
  });

  return {
    url: baseUrl,
    token,
    namespace,
    requests,
    clearRequests: () => void requests.splice(0),
    createRepo: (designation) => {
      if (repoFromDesignation(designation, false)) throw new Error(`fake hub: ${designation} exists`);
      repoFromDesignation(designation, true);
    },
    hasRepo: (designation) => repoFromDesignation(designation, false) !== undefined,
    putFile: (designation, path, content, o = {}) =>
      applyCommit(repoFromDesignation(designation, true)!, o.title ?? `Upload ${path}`, [
        { kind: 'put', path, content: Buffer.isBuffer(content) ? content : Buffer.from(content), lfs: o.lfs ?? false },
      ]),
    deleteFile: (designation, path) => applyCommit(requireRepo(designation), `Delete ${path}`, [{ kind: 'delete', path }]),
    getFile: (designation, path, rev = 'main') => {
      const repo = repoFromDesignation(designation, false);
      const commit = repo && repo.commits.get(rev === 'main' ? repo.main : rev);
      return commit?.files.get(path)?.content;
    },
    listFiles: (designation) => {
      const repo = repoFromDesignation(designation, false);
      return repo ? [...repo.commits.get(repo.main)!.files.keys()].sort() : [];
    },
    headCommit: (designation) => requireRepo(designation).main,
    failNextCommits: (n) => void (pendingFailures += n),
    beforeNextCommit: (hook) => void commitHooks.push(hook),
    jobs: {
      setScript: (script) => void (jobScript = { ...jobScript, ...script }),
      list: () => [...jobs.values()].map(jobView),
      get: (id) => {
        const job = jobs.get(id);
        return job && jobView(job);
      },
      dropLogStreamAfter: (n) => void logDrops.push(n),
      holdLogStreamsOpen: (hold) => void (holdStreamsOpen = hold),
    },
    close: async () => {
      for (const job of jobs.values()) clearTimeout(job.timer);
      for (const res of openStreams) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
