import { compact, diffValues } from "./json-diff";

/** The before/after of an event: a compact key-by-key diff, with the full JSON on demand. */
export function AuditChange({ before, after, seq }: { before: unknown; after: unknown; seq: number }) {
  const changes = diffValues(before, after);
  if (changes.length === 0) return <span className="muted">—</span>;
  return (
    <div className="small" style={{ maxWidth: 340, overflowWrap: "anywhere" }}>
      <ul style={{ listStyle: "none", margin: 0, padding: 0 }}>
        {changes.slice(0, 4).map((c) => (
          <li key={c.key || "value"}>
            {c.key && <code>{c.key}</code>}
            {c.key && ": "}
            {c.kind === "added" && <ins style={{ color: "var(--ok)", textDecoration: "none" }}>+ {compact(c.after)}</ins>}
            {c.kind === "removed" && <del style={{ color: "var(--danger)" }}>{compact(c.before)}</del>}
            {c.kind === "changed" && (
              <>
                <del style={{ color: "var(--danger)" }}>{compact(c.before)}</del>
                {" → "}
                <ins style={{ color: "var(--ok)", textDecoration: "none" }}>{compact(c.after)}</ins>
              </>
            )}
          </li>
        ))}
        {changes.length > 4 && <li className="muted">and {changes.length - 4} more</li>}
      </ul>
      <details>
        <summary aria-label={`Full JSON of event ${seq}`}>JSON</summary>
        <pre style={{ whiteSpace: "pre-wrap", wordBreak: "break-word", maxWidth: 340, fontSize: "0.8rem", margin: "0.25rem 0 0" }}>
          {JSON.stringify({ before: before ?? null, after: after ?? null }, null, 2)}
        </pre>
      </details>
    </div>
  );
}
