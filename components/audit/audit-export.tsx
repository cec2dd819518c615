"use client";

import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import { readableMessage, type ApiError } from "@/components/ui/field-errors";
import { FormError } from "@/components/ui/form-controls";
import type { AuditQuery } from "./use-audit-page";

type Format = "csv" | "json" | "signed";

/**
 * Downloads the filtered events as CSV or JSON, or as a signed export an auditor checks offline
 * with `npm run audit:verify -- FILE`; shows the signing key's fingerprint to compare with.
 */
export function AuditExport({ scope, query }: { scope: "all" | "project"; query: AuditQuery }) {
  const utils = trpc.useUtils();
  const signingKey = trpc.audit.signingKey.useQuery();
  const [busy, setBusy] = useState<Format | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function download(format: Format) {
    setBusy(format);
    setError(null);
    try {
      const file =
        scope === "all"
          ? await utils.client.audit.exportAll.query({ ...query, format })
          : await utils.client.audit.export.query({ ...query, projectId: query.projectId ?? "", format });
      const url = URL.createObjectURL(new Blob([file.body], { type: file.contentType }));
      const link = Object.assign(document.createElement("a"), { href: url, download: file.filename });
      link.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(readableMessage(e as ApiError));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="stack" aria-label="Export">
      <div className="row">
        <span className="small muted">Export these events:</span>
        <button type="button" disabled={!!busy} onClick={() => void download("csv")}>
          CSV
        </button>
        <button type="button" disabled={!!busy} onClick={() => void download("json")}>
          JSON
        </button>
        <button type="button" disabled={!!busy} onClick={() => void download("signed")}>
          Signed export
        </button>
        {signingKey.data && (
          <span className="small muted" title={signingKey.data.publicKey}>
            Signed exports verify offline with <code>npm run audit:verify -- FILE</code>; key {signingKey.data.fingerprint}
          </span>
        )}
      </div>
      <FormError message={error} />
    </div>
  );
}
