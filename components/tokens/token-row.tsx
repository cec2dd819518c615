"use client";

import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { TokenRow } from "@/components/ui/api-types";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { readableMessage } from "@/components/ui/field-errors";
import { formatDate, formatDateTime, isoTitle } from "@/components/ui/format";

function stateOf(token: TokenRow, now: number) {
  if (token.revokedAt) return { label: `Revoked ${formatDate(token.revokedAt)}`, className: "badge bad" };
  if (token.expiresAt.getTime() <= now) return { label: "Expired", className: "badge warn" };
  return { label: "Active", className: "badge ok" };
}

export function TokenRowView({ token }: { token: TokenRow }) {
  const utils = trpc.useUtils();
  const [confirming, setConfirming] = useState(false);
  const revoke = trpc.tokens.revoke.useMutation({
    onSuccess: async () => {
      setConfirming(false);
      await utils.tokens.list.invalidate();
    },
  });
  const [now] = useState(() => Date.now());
  const state = stateOf(token, now);
  const usable = !token.revokedAt && token.expiresAt.getTime() > now;

  return (
    <tr>
      <td>{token.name}</td>
      <td>
        <code>{token.prefix}…</code>
      </td>
      <td>{token.scope === "write" ? "read-write" : "read"}</td>
      <td title={isoTitle(token.createdAt)}>{formatDate(token.createdAt)}</td>
      <td title={isoTitle(token.expiresAt)}>{formatDate(token.expiresAt)}</td>
      <td title={isoTitle(token.lastUsedAt)}>{token.lastUsedAt ? formatDateTime(token.lastUsedAt) : "Never"}</td>
      <td>
        <span className={state.className}>{state.label}</span>
      </td>
      <td>
        {!token.revokedAt && (
          <button type="button" className="danger" onClick={() => setConfirming(true)} aria-label={`Revoke ${token.name}`}>
            Revoke
          </button>
        )}
        <ConfirmDialog
          open={confirming}
          title={`Revoke the token “${token.name}”?`}
          confirmLabel="Revoke token"
          pendingLabel="Revoking…"
          danger
          pending={revoke.isPending}
          error={revoke.error ? readableMessage(revoke.error) : null}
          onCancel={() => (setConfirming(false), revoke.reset())}
          onConfirm={() => revoke.mutate({ tokenId: token.id })}
        >
          <p style={{ margin: 0 }}>
            {usable
              ? `Anything using ${token.prefix}… will be refused from now on. This cannot be undone.`
              : "The token stops working for good. This cannot be undone."}
          </p>
        </ConfirmDialog>
      </td>
    </tr>
  );
}
