import { useEffect, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { fromCombinedError, type ApiError } from '../api/errors.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { graphql } from '../gql';
import type { AnalysisResultFragment, ValidateImageMutation } from '../gql/graphql.ts';
import { formatBytes, shortId } from '../lib/format.ts';

export const AnalysisResultFragmentDocument = graphql(`
  fragment AnalysisResult on Analysis {
    imageId
    fromCache
    original {
      format
      width
      height
    }
    faceMethod
    cropPngBase64
    crop {
      x
      y
      size
      padded
    }
    predictions {
      label
      score
    }
    model {
      id
      path
      sha256
    }
    timings {
      decodeMs
      preprocessMs
      inferenceMs
      totalMs
    }
  }
`);

const ValidateImageDocument = graphql(`
  mutation ValidateImage($image: File!) {
    validateImage(image: $image) {
      ok
      format
      width
      height
      faceMethod
      checks {
        name
        ok
        message
      }
    }
  }
`);

const AnalyzeImageDocument = graphql(`
  mutation AnalyzeImage($image: File!, $modelId: ID) {
    analyzeImage(image: $image, modelId: $modelId) {
      ...AnalysisResult
    }
  }
`);

const AnalyzeByIdDocument = graphql(`
  mutation AnalyzeById($imageId: ID!, $modelId: ID) {
    analyzeById(imageId: $imageId, modelId: $modelId) {
      ...AnalysisResult
    }
  }
`);

const AnalyzeModelsDocument = graphql(`
  query AnalyzeModels {
    models {
      id
      runId
      isProduction
      path
      trial {
        number
      }
    }
  }
`);

type Validation = ValidateImageMutation['validateImage'];

export function AnalyzePage() {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [modelId, setModelId] = useState('');
  const [imageId, setImageId] = useState('');
  const [validation, setValidation] = useState<Validation | null>(null);
  const [analysis, setAnalysis] = useState<AnalysisResultFragment | null>(null);
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const [{ data: modelsData, error: modelsError }] = useQuery({ query: AnalyzeModelsDocument });
  const [, validate] = useMutation(ValidateImageDocument);
  const [, analyzeImage] = useMutation(AnalyzeImageDocument);
  const [, analyzeById] = useMutation(AnalyzeByIdDocument);

  useEffect(() => () => {
    if (preview) URL.revokeObjectURL(preview);
  }, [preview]);

  const run = async (image: File) => {
    setFile(image);
    setPreview(URL.createObjectURL(image));
    setValidation(null);
    setAnalysis(null);
    setError(undefined);
    setBusy('Checking the image…');
    const checked = await validate({ image });
    if (checked.error || !checked.data) {
      setError(fromCombinedError(checked.error));
      setBusy(null);
      return;
    }
    setValidation(checked.data.validateImage);
    if (!checked.data.validateImage.ok) {
      setBusy(null);
      return;
    }
    setBusy('Analyzing…');
    const result = await analyzeImage({ image, modelId: modelId || null });
    setBusy(null);
    if (result.data) {
      setAnalysis(result.data.analyzeImage);
      setImageId(result.data.analyzeImage.imageId);
    } else setError(fromCombinedError(result.error));
  };

  const reanalyze = async (event: FormEvent) => {
    event.preventDefault();
    if (!imageId.trim()) return;
    setError(undefined);
    setBusy('Analyzing…');
    const result = await analyzeById({ imageId: imageId.trim(), modelId: modelId || null });
    setBusy(null);
    if (result.data) setAnalysis(result.data.analyzeById);
    else setError(fromCombinedError(result.error));
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped) void run(dropped);
  };

  return (
    <div className="page">
      <header className="page-header">
        <h1>Analyze an image</h1>
        <p className="muted">The image is decoded, face-cropped to a square, normalised and run through the production model (or the one you choose).</p>
      </header>
      <div className="two-columns">
        <section className="card" aria-labelledby="input-heading">
          <h2 id="input-heading">Image</h2>
          <div
            className={`drop-zone${dragging ? ' dragging' : ''}`}
            role="button"
            tabIndex={0}
            aria-label="Choose or drop an image"
            onClick={() => input.current?.click()}
            onKeyDown={(event) => {
              if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                input.current?.click();
              }
            }}
            onDragOver={(event) => {
              event.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
          >
            {preview ? <img src={preview} alt="The chosen image" className="preview" /> : <span>Drop an image here, or press to choose one</span>}
            {file && (
              <span className="muted small-text">
                {file.name} · {formatBytes(file.size)}
              </span>
            )}
          </div>
          <input
            ref={input}
            type="file"
            accept="image/*"
            className="visually-hidden"
            data-testid="image-input"
            tabIndex={-1}
            onChange={(event) => {
              const chosen = event.target.files?.[0];
              if (chosen) void run(chosen);
              event.target.value = '';
            }}
          />
          <label className="field">
            <span>Model</span>
            <select value={modelId} onChange={(event) => setModelId(event.target.value)}>
              <option value="">Production model</option>
              {modelsData?.models.map((model) => (
                <option key={model.id} value={model.id}>
                  {shortId(model.runId)}
                  {model.trial ? ` · trial #${model.trial.number}` : ''}
                  {model.isProduction ? ' · production' : ''}
                </option>
              ))}
            </select>
          </label>
          <ErrorBanner error={fromCombinedError(modelsError)} what="Choosing a model" />
          <form className="inline-form" onSubmit={reanalyze}>
            <label className="field grow">
              <span>Re-analyze an earlier image by id</span>
              <input value={imageId} onChange={(event) => setImageId(event.target.value)} placeholder="image id" spellCheck={false} className="mono" />
            </label>
            <button type="submit" disabled={!imageId.trim() || !!busy}>
              Re-analyze
            </button>
          </form>
        </section>

        <section className="card" aria-labelledby="result-heading" aria-busy={!!busy}>
          <h2 id="result-heading">Result</h2>
          {busy && <p className="muted" role="status">{busy}</p>}
          <ErrorBanner error={error} what="Analysis" />
          {validation && <ValidationChecks validation={validation} />}
          {analysis && <AnalysisView analysis={analysis} />}
          {!busy && !analysis && !validation && !error && <p className="empty">Choose an image to see the crop, the predictions and the timings.</p>}
        </section>
      </div>
    </div>
  );
}

function ValidationChecks({ validation }: { validation: Validation }) {
  return (
    <div className="checks">
      <p>
        <strong className={validation.ok ? 'text-ok' : 'text-bad'}>{validation.ok ? 'The image can be analyzed' : 'The image cannot be analyzed'}</strong>{' '}
        <span className="muted">
          {[validation.format, validation.width && validation.height ? `${validation.width}×${validation.height}` : null, validation.faceMethod ? `face: ${validation.faceMethod}` : null]
            .filter(Boolean)
            .join(' · ')}
        </span>
      </p>
      <ul className="check-list">
        {validation.checks.map((check) => (
          <li key={check.name} className={check.ok ? 'ok' : 'bad'}>
            <span aria-hidden="true">{check.ok ? '✓' : '✗'}</span> <strong>{check.name}</strong> {check.message && <span className="muted">{check.message}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

function AnalysisView({ analysis }: { analysis: AnalysisResultFragment }) {
  const predictions = [...analysis.predictions].sort((a, b) => b.score - a.score);
  const timings = analysis.timings;
  return (
    <div className="analysis" data-testid="analysis">
      <div className="analysis-top">
        {analysis.cropPngBase64 && (
          <figure className="crop">
            <img src={`data:image/png;base64,${analysis.cropPngBase64}`} alt="The square crop the model saw" />
            <figcaption className="muted small-text">
              {analysis.crop ? `${analysis.crop.size}×${analysis.crop.size} at (${analysis.crop.x}, ${analysis.crop.y})${analysis.crop.padded ? ', padded' : ''}` : 'crop'}
              {analysis.faceMethod ? ` · ${analysis.faceMethod}` : ''}
            </figcaption>
          </figure>
        )}
        <ol className="predictions" aria-label="Predictions">
          {predictions.map((prediction, index) => (
            <li key={prediction.label} className={index === 0 ? 'top' : undefined}>
              <span className="prediction-label">{prediction.label}</span>
              <span className="prediction-bar" aria-hidden="true">
                <span style={{ width: `${Math.max(0, Math.min(1, prediction.score)) * 100}%` }} />
              </span>
              <span className="prediction-score">{(prediction.score * 100).toFixed(1)} %</span>
            </li>
          ))}
        </ol>
      </div>
      <dl className="kv compact">
        <dt>Image id</dt>
        <dd className="mono">{analysis.imageId}</dd>
        <dt>Original</dt>
        <dd>
          {analysis.original.format} · {analysis.original.width}×{analysis.original.height}
          {analysis.fromCache && <span className="muted"> · crop read from the image cache</span>}
        </dd>
        <dt>Model</dt>
        <dd className="mono truncate" title={analysis.model.path}>
          {analysis.model.path}
          {analysis.model.sha256 && <span className="muted"> · sha256 {analysis.model.sha256.slice(0, 12)}…</span>}
        </dd>
        <dt>Timings</dt>
        <dd>
          decode {timings.decodeMs.toFixed(1)} ms · preprocess {timings.preprocessMs.toFixed(1)} ms · inference {timings.inferenceMs.toFixed(1)} ms ·{' '}
          <strong>total {timings.totalMs.toFixed(1)} ms</strong>
        </dd>
      </dl>
    </div>
  );
}
