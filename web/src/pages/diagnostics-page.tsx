import { useQuery } from 'urql';
import { fromCombinedError } from '../api/errors.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { graphql } from '../gql';
import type { ModelFileFragment } from '../gql/graphql.ts';
import { formatBytes, formatDateTime, formatDuration, shortId } from '../lib/format.ts';

const HealthDocument = graphql(`
  query Health {
    health {
      ok
      version
      instanceId
      uptimeSeconds
      database {
        ok
        kind
        latencyMs
        error
      }
    }
  }
`);

export const ModelFileFragmentDocument = graphql(`
  fragment ModelFile on ModelDiagnostics {
    id
    path
    source
    isProduction
    exists
    size
    sha256
    firstBytesHex
    format
    description
    loads
    loadError
    lfsPointer {
      oid
      size
    }
    sidecar {
      ok
      error
      inputSize
      labels
    }
    inputs {
      name
      shape
      type
    }
    outputs {
      name
      shape
      type
    }
  }
`);

const DiagnosticsDocument = graphql(`
  query Diagnostics {
    diagnostics {
      collectedAt
      productionRunId
      models {
        ...ModelFile
      }
      faceDetector {
        ...ModelFile
      }
      runtime {
        node
        onnxruntime
        sharp
        libvips
      }
      cacheDirectories {
        huggingFaceHub
        images
      }
    }
  }
`);

const FORMAT_HINTS: Record<string, string> = {
  GIT_LFS_POINTER: 'A Git LFS pointer, not the model: fetch the real file (git lfs pull) or download it again.',
  HTML: 'An HTML page, typically an error or login page saved instead of the model.',
  TRUNCATED_OR_CORRUPT: 'The file is cut short or damaged: download it again.',
  EMPTY: 'The file is empty.',
  MISSING: 'No file at this path.',
  TFLITE: 'A TensorFlow Lite model; this server runs ONNX models.',
  UNKNOWN: 'Not a model format this server recognises.',
};

export function DiagnosticsPage() {
  const [health, refetchHealth] = useQuery({ query: HealthDocument, requestPolicy: 'network-only' });
  const [diagnostics, refetchDiagnostics] = useQuery({ query: DiagnosticsDocument, requestPolicy: 'network-only' });
  const refresh = () => {
    refetchHealth({ requestPolicy: 'network-only' });
    refetchDiagnostics({ requestPolicy: 'network-only' });
  };
  const h = health.data?.health;
  const d = diagnostics.data?.diagnostics;
  return (
    <div className="page">
      <header className="page-header row">
        <div>
          <h1>Diagnostics</h1>
          <p className="muted">Which model file is loaded, whether it is a valid ONNX model, and what the server runs on.</p>
        </div>
        <button type="button" onClick={refresh}>
          Refresh
        </button>
      </header>
      <div className="cards">
        <section className="card diag" aria-labelledby="server-heading">
          <h2 id="server-heading">
            Server <Verdict ok={h?.ok} />
          </h2>
          <ErrorBanner error={fromCombinedError(health.error)} />
          {h && (
            <dl className="kv compact">
              <dt>Version</dt>
              <dd>{h.version}</dd>
              <dt>Instance</dt>
              <dd className="mono">{h.instanceId}</dd>
              <dt>Uptime</dt>
              <dd>{formatDuration(h.uptimeSeconds)}</dd>
              <dt>Database</dt>
              <dd>
                {h.database.kind === 'embedded' ? 'embedded (PGlite)' : 'PostgreSQL'} · <Verdict ok={h.database.ok} />
                {h.database.latencyMs != null && <span className="muted"> · {h.database.latencyMs.toFixed(1)} ms</span>}
                {h.database.error && <div className="text-bad">{h.database.error}</div>}
              </dd>
            </dl>
          )}
        </section>
        {d && (
          <section className="card diag" aria-labelledby="runtime-heading">
            <h2 id="runtime-heading">Runtime</h2>
            <dl className="kv compact">
              <dt>Node.js</dt>
              <dd>{d.runtime.node}</dd>
              <dt>onnxruntime</dt>
              <dd>{d.runtime.onnxruntime ?? '—'}</dd>
              <dt>sharp / libvips</dt>
              <dd>
                {d.runtime.sharp ?? '—'} / {d.runtime.libvips ?? '—'}
              </dd>
              <dt>Hub cache</dt>
              <dd className="mono small-text">{d.cacheDirectories.huggingFaceHub ?? '—'}</dd>
              <dt>Image store</dt>
              <dd className="mono small-text">{d.cacheDirectories.images ?? '—'}</dd>
            </dl>
          </section>
        )}
      </div>
      <ErrorBanner error={fromCombinedError(diagnostics.error)} what="Model diagnostics" />
      {d && (
        <>
          <h2 className="section-title">
            Model files <span className="muted small-text">checked {formatDateTime(d.collectedAt)}</span>
          </h2>
          {!d.productionRunId && <p className="muted">No production model: analyses fail with MODEL_UNAVAILABLE until a run is made production.</p>}
          {d.models.length || d.faceDetector ? (
            <div className="cards">
              {d.models.map((model) => (
                <ModelCard key={model.id} model={model} />
              ))}
              {d.faceDetector && <ModelCard model={d.faceDetector} title="Face detector" />}
            </div>
          ) : (
            <p className="empty">No model is promoted yet.</p>
          )}
        </>
      )}
    </div>
  );
}

function Verdict({ ok }: { ok: boolean | null | undefined }) {
  if (ok === undefined || ok === null) return null;
  return <span className={`badge ${ok ? 'status-succeeded' : 'status-failed'}`}>{ok ? 'ok' : 'problem'}</span>;
}

function ModelCard({ model, title }: { model: ModelFileFragment; title?: string }) {
  const verdict = !model.exists ? 'File missing' : model.loads ? 'Loads' : 'Does not load';
  return (
    <section className={`card diag model-card ${model.loads ? 'good' : 'bad'}`} aria-label={`${title ?? 'Model'} ${model.path}`}>
      <h3>
        <span className={model.loads ? 'text-ok' : 'text-bad'} aria-hidden="true">
          {model.loads ? '✓' : '✗'}
        </span>{' '}
        {title ?? (model.source === 'HUB' ? 'Hub model' : `Run ${shortId(model.id)}`)} · {verdict}
        <span className="badge">{model.format.toLowerCase().replace(/_/g, ' ')}</span>
        {model.isProduction && <span className="badge status-succeeded">production</span>}
      </h3>
      <p className="mono small-text wrap">{model.path}</p>
      <p>{model.description}</p>
      {!model.loads && FORMAT_HINTS[model.format] && <p className="hint">{FORMAT_HINTS[model.format]}</p>}
      {model.loadError && (
        <div className="banner error">
          <strong>Load error</strong> {model.loadError}
        </div>
      )}
      <dl className="kv compact">
        <dt>Size</dt>
        <dd>{model.size != null ? `${formatBytes(model.size)} (${Number(model.size).toLocaleString()} bytes)` : '—'}</dd>
        <dt>SHA-256</dt>
        <dd className="mono small-text wrap">{model.sha256 ?? '—'}</dd>
        <dt>First bytes</dt>
        <dd className="mono small-text wrap">{model.firstBytesHex ?? '—'}</dd>
        {model.lfsPointer && (
          <>
            <dt>LFS pointer to</dt>
            <dd className="mono small-text wrap">
              {model.lfsPointer.oid ?? '?'} ({formatBytes(model.lfsPointer.size)})
            </dd>
          </>
        )}
        <dt>Sidecar</dt>
        <dd>
          {model.sidecar.ok ? (
            <>
              {model.sidecar.labels.length} labels ({model.sidecar.labels.slice(0, 6).join(', ')}
              {model.sidecar.labels.length > 6 ? ', …' : ''}){model.sidecar.inputSize ? ` · input ${model.sidecar.inputSize}×${model.sidecar.inputSize}` : ''}
            </>
          ) : (
            <span className="text-bad">{model.sidecar.error ?? 'missing'}</span>
          )}
        </dd>
      </dl>
      {(model.inputs.length > 0 || model.outputs.length > 0) && (
        <table className="data-table compact">
          <thead>
            <tr>
              <th scope="col">Tensor</th>
              <th scope="col">Shape</th>
              <th scope="col">Type</th>
            </tr>
          </thead>
          <tbody>
            {[...model.inputs.map((t) => ({ ...t, io: 'in' })), ...model.outputs.map((t) => ({ ...t, io: 'out' }))].map((tensor) => (
              <tr key={`${tensor.io}-${tensor.name}`}>
                <td>
                  <span className="muted">{tensor.io}</span> <span className="mono">{tensor.name}</span>
                </td>
                <td className="mono">[{tensor.shape.join(', ')}]</td>
                <td className="mono">{tensor.type}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
