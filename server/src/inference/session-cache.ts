import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { InferenceError, errorMessage } from './errors.ts';
import { inspectModelFile, type ModelFileReport, type TensorInfo } from './model-file.ts';

/** A model file loaded into onnxruntime, for one version (size, mtime, inode) of that file. */
export interface LoadedModel {
  path: string;
  version: string;
  sha256: string;
  size: number;
  session: InferenceSession;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  loadMs: number;
  /** What the file was found to be when it was loaded. */
  report: ModelFileReport;
}

/** The outcome of loading a model file: a failure keeps its reason until the file changes. */
export type LoadState =
  | { ok: true; model: LoadedModel }
  | { ok: false; path: string; version: string | null; reason: string; report: ModelFileReport | null };

/** A session held by one request; the session is not released while any lease on it is open. */
export interface SessionLease {
  readonly model: LoadedModel;
  release(): void;
}

export type SessionFactory = (modelPath: string, options: InferenceSession.SessionOptions) => Promise<InferenceSession>;

export interface SessionCacheOptions {
  sessionOptions?: InferenceSession.SessionOptions;
  /** Replaces `InferenceSession.create`, e.g. to count creations in tests. */
  createSession?: SessionFactory;
}

interface Entry {
  path: string;
  version: string;
  /** Orders entries by the `stat` that created them, so a stale stat cannot resurrect an old version. */
  seq: number;
  state: Promise<LoadState>;
  inflight: number;
  retired: boolean;
  released: boolean;
}

/**
 * onnxruntime's thread pools spin (busy-wait) after each run by default, which pays off when runs follow each other
 * back to back. A server's runs are separated by HTTP, decoding and database work on the same cores, which the
 * spinning threads then compete with: measured with the inference benchmark on 2 cores, not spinning cut the CPU per
 * request by 18–25% and raised throughput at concurrency 2 by 10–15%, in process and over GraphQL alike.
 */
export const DEFAULT_SESSION_OPTIONS: InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

/**
 * onnxruntime sessions shared by every request: one per model file version, created once even when
 * many requests ask at the same moment. When the file at a path changes, the next request loads the new
 * version; the old session keeps serving the runs already holding it and is released after the last one.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly createSession: SessionFactory;
  private readonly sessionOptions: InferenceSession.SessionOptions;
  private seq = 0;

  constructor(options: SessionCacheOptions = {}) {
    this.createSession = options.createSession ?? ((modelPath, sessionOptions) => InferenceSession.create(modelPath, sessionOptions));
    this.sessionOptions = options.sessionOptions ?? DEFAULT_SESSION_OPTIONS;
  }

  /** Loads (or finds loaded) the current version of a model file. Never throws: failures come back as a state. */
  async load(modelPath: string): Promise<LoadState> {
    const entry = await this.entryFor(path.resolve(modelPath));
    return 'state' in entry ? entry.state : entry;
  }

  /** The state of what is loaded for a path, without touching the disk; `undefined` when nothing is. */
  async peek(modelPath: string): Promise<LoadState | undefined> {
    return this.entries.get(path.resolve(modelPath))?.state;
  }

  /**
   * Holds the current session of a model file for one request.
   * @throws InferenceError MODEL_UNAVAILABLE with the reason the file does not load.
   */
  async acquire(modelPath: string): Promise<SessionLease> {
    const resolved = path.resolve(modelPath);
    // A session can be released between our lookup and our lease only if the path was evicted meanwhile;
    // looking again then finds (or loads) the version that replaced it.
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = await this.entryFor(resolved);
      if (!('state' in found)) throw unavailable(found);
      const state = await found.state;
      if (!state.ok) throw unavailable(state);
      if (found.released) continue;
      found.inflight++;
      let open = true;
      return {
        model: state.model,
        release: () => {
          if (!open) return;
          open = false;
          found.inflight--;
          this.releaseIfIdle(found);
        },
      };
    }
    throw new InferenceError('MODEL_UNAVAILABLE', `model ${resolved} kept being replaced while loading; try again`, { path: resolved });
  }

  /** Runs `fn` with a leased session and always gives the lease back. */
  async run<T>(modelPath: string, fn: (model: LoadedModel) => Promise<T>): Promise<T> {
    const lease = await this.acquire(modelPath);
    try {
      return await fn(lease.model);
    } finally {
      lease.release();
    }
  }

  /**
   * Moves production from one model file to another without downtime: the new session is created first
   * (a failure leaves the old one serving), then the old one is retired and released once idle.
   * @throws InferenceError MODEL_UNAVAILABLE when the new model does not load.
   */
  async swap(fromPath: string | null, toPath: string): Promise<LoadedModel> {
    const state = await this.load(toPath);
    if (!state.ok) throw unavailable(state);
    if (fromPath && path.resolve(fromPath) !== path.resolve(toPath)) this.evict(fromPath);
    return state.model;
  }

  /** Forgets a path; its session is released as soon as no request holds it. */
  evict(modelPath: string): void {
    const entry = this.entries.get(path.resolve(modelPath));
    if (entry) this.retire(entry);
  }

  /** Evicts everything (sessions in use are released when their runs finish). */
  close(): void {
    for (const entry of [...this.entries.values()]) this.retire(entry);
  }

  private async entryFor(modelPath: string): Promise<Entry | Extract<LoadState, { ok: false }>> {
    const seq = ++this.seq;
    let version: string | null;
    try {
      const info = await stat(modelPath);
      version = `${info.size}:${info.mtimeMs}:${info.ino}`;
    } catch {
      version = null;
    }
    const current = this.entries.get(modelPath);
    if (current && (current.version === version || current.seq > seq)) return current;
    if (version === null) {
      if (current) this.retire(current);
      const report = await inspectModelFile(modelPath);
      return { ok: false, path: modelPath, version, reason: report.description, report };
    }
    const entry: Entry = { path: modelPath, version, seq, state: this.loadVersion(modelPath, version), inflight: 0, retired: false, released: false };
    this.entries.set(modelPath, entry);
    // The old version keeps serving the requests that already hold it; it goes once the new one is ready.
    if (current) void entry.state.then(() => this.retire(current));
    return entry;
  }

  private async loadVersion(modelPath: string, version: string): Promise<LoadState> {
    const started = performance.now();
    const report = await inspectModelFile(modelPath);
    if (report.format !== 'ONNX') {
      // Refuse before onnxruntime sees it: its own message ("Protobuf parsing failed") does not say what the file is.
      return { ok: false, path: modelPath, version, reason: `${modelPath} is ${report.description}`, report };
    }
    try {
      const session = await this.createSession(modelPath, this.sessionOptions);
      return {
        ok: true,
        model: {
          path: modelPath,
          version,
          sha256: report.sha256!,
          size: report.size!,
          session,
          inputs: describeValues(session.inputMetadata, report.onnx?.inputs),
          outputs: describeValues(session.outputMetadata, report.onnx?.outputs),
          loadMs: performance.now() - started,
          report,
        },
      };
    } catch (error) {
      return { ok: false, path: modelPath, version, reason: `onnxruntime cannot load ${modelPath}: ${errorMessage(error)}`, report };
    }
  }

  private retire(entry: Entry): void {
    entry.retired = true;
    if (this.entries.get(entry.path) === entry) this.entries.delete(entry.path);
    void entry.state.then(() => this.releaseIfIdle(entry));
  }

  private releaseIfIdle(entry: Entry): void {
    if (!entry.retired || entry.inflight > 0 || entry.released) return;
    entry.released = true;
    void entry.state.then((state) => (state.ok ? state.model.session.release() : undefined)).catch(() => {
      // Releasing native memory cannot be retried and must not fail a request.
    });
  }
}

/** onnxruntime's own metadata when it has it (1.30 does), else what the ONNX graph declares. */
function describeValues(metadata: readonly InferenceSession.ValueMetadata[] | undefined, fromGraph: TensorInfo[] | undefined): TensorInfo[] {
  if (!metadata?.length) return fromGraph ?? [];
  return metadata.map((value) =>
    value.isTensor ? { name: value.name, type: value.type, shape: [...value.shape] } : { name: value.name, type: 'non-tensor', shape: [] },
  );
}

function unavailable(state: Extract<LoadState, { ok: false }>): InferenceError {
  return new InferenceError('MODEL_UNAVAILABLE', `model unavailable: ${state.reason}`, {
    path: state.path,
    format: state.report?.format ?? null,
  });
}
