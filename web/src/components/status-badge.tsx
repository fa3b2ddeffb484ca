export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status.toLowerCase()}`}>{status.toLowerCase()}</span>;
}

export function ProgressBar({ done, total, label }: { done: number; total: number | null | undefined; label?: string }) {
  const fraction = total ? Math.min(1, done / total) : 0;
  const text = total ? `${done} / ${total}` : String(done);
  return (
    <div className="progress" role="progressbar" aria-label={label ?? 'Progress'} aria-valuemin={0} aria-valuemax={total ?? undefined} aria-valuenow={done} aria-valuetext={text}>
      <div className="progress-track">
        <div className="progress-fill" style={{ width: `${fraction * 100}%` }} />
      </div>
      <span className="progress-text">{text}</span>
    </div>
  );
}
