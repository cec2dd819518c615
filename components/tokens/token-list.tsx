"use client";

import { trpc } from "@/components/providers/trpc";
import { Loading, QueryError } from "@/components/ui/query-state";
import { TokenRowView } from "./token-row";

export function TokenList() {
  const tokens = trpc.tokens.list.useQuery();
  return (
    <section className="card stack" aria-labelledby="tokens-title">
      <h2 id="tokens-title" style={{ margin: 0 }}>
        Your tokens
      </h2>
      {tokens.isPending ? (
        <Loading label="Loading tokens…" />
      ) : tokens.isError ? (
        <QueryError error={tokens.error} title="Tokens could not be loaded." onRetry={() => void tokens.refetch()} />
      ) : tokens.data.length === 0 ? (
        <p className="muted">You have no API tokens.</p>
      ) : (
        <div style={{ overflowX: "auto" }}>
          <table aria-labelledby="tokens-title">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Scope</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <TokenRowView key={t.id} token={t} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
