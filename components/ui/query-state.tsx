import type { ReactNode } from "react";
import { readableMessage, type ApiError } from "./field-errors";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      {label}
    </p>
  );
}

/** A failed query: the server's message, and a retry when one is offered. */
export function QueryError({ error, title, onRetry }: { error: ApiError; title?: ReactNode; onRetry?: () => void }) {
  return (
    <div className="notice error stack" role="alert">
      {title && <strong>{title}</strong>}
      <span>{readableMessage(error)}</span>
      {onRetry && (
        <div>
          <button type="button" onClick={onRetry}>
            Try again
          </button>
        </div>
      )}
    </div>
  );
}
