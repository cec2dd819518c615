"use client";

import { useId, useRef, useState } from "react";

/** A read-only value with a copy button; when the clipboard is unavailable the value is selected for Ctrl+C. */
export function CopyField({ label, value, testId, autoSelect = false }: { label: string; value: string; testId?: string; autoSelect?: boolean }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      input.current?.select();
      setCopied("failed");
    }
  }

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="row">
        <input
          id={id}
          ref={input}
          data-testid={testId}
          value={value}
          readOnly
          autoFocus={autoSelect}
          onFocus={(e) => e.currentTarget.select()}
          spellCheck={false}
          style={{ flex: 1, minWidth: 260, fontFamily: "var(--mono)" }}
        />
        <button type="button" onClick={() => void copy()} aria-label={`Copy ${label}`}>
          Copy
        </button>
      </div>
      <span role="status" className="small muted">
        {copied === "yes" ? "Copied to the clipboard." : copied === "failed" ? "Could not copy automatically: the text is selected, press Ctrl+C (⌘C)." : ""}
      </span>
    </div>
  );
}
