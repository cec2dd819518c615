"use client";

import Link from "next/link";

/** Shown when a page inside the signed-in shell fails while rendering. */
export default function AppError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="notice error stack" role="alert">
      <strong>This page could not be shown.</strong>
      <span>{error.digest ? `Something went wrong on the server (reference ${error.digest}).` : error.message}</span>
      <div className="row">
        <button type="button" onClick={reset}>
          Try again
        </button>
        <Link href="/">Go to projects</Link>
      </div>
    </div>
  );
}
