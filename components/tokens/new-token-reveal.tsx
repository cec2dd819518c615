"use client";

import { useEffect, useRef, useState } from "react";

/** The new token's secret, shown this once: Slipway stores only its hash. */
export function NewTokenReveal({ name, token, onDone }: { name: string; token: string; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);

  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(token);
      setCopied("yes");
    } catch {
      input.current?.select();
      setCopied("failed");
    }
  }

  return (
    <section className="card stack" aria-labelledby="new-token-title" style={{ borderColor: "var(--ok)" }}>
      <h2 id="new-token-title" style={{ margin: 0 }}>
        Token “{name}” created
      </h2>
      <p className="notice" role="alert" style={{ borderColor: "var(--warn)", margin: 0 }}>
        <strong>Copy this token now.</strong> It will not be shown again: Slipway keeps only a fingerprint of it. If you lose it, revoke it and create a new one.
      </p>
      <div className="row">
        <input
          ref={input}
          aria-label="New API token"
          data-testid="new-token"
          value={token}
          readOnly
          onFocus={(e) => e.currentTarget.select()}
          spellCheck={false}
          style={{ flex: 1, minWidth: 260, fontFamily: "var(--mono)" }}
        />
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy token
        </button>
      </div>
      <span role="status" className="small muted">
        {copied === "yes" ? "Copied to the clipboard." : copied === "failed" ? "Could not copy automatically: the token is selected, press Ctrl+C (⌘C)." : ""}
      </span>
      <div>
        <button type="button" onClick={onDone}>
          I have copied it
        </button>
      </div>
    </section>
  );
}
