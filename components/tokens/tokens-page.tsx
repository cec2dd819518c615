"use client";

import { useState } from "react";
import { CreateTokenForm } from "./create-token-form";
import { NewTokenReveal } from "./new-token-reveal";
import { TokenList } from "./token-list";

export function TokensPage() {
  const [revealed, setRevealed] = useState<{ name: string; token: string } | null>(null);
  return (
    <div className="stack">
      <h1 style={{ margin: 0 }}>API tokens</h1>
      <p className="muted" style={{ margin: 0 }}>
        Tokens let scripts and CI call the Slipway API as you: send one as <code>Authorization: Bearer &lt;token&gt;</code>. A token can do what
        you can do in your projects, and read-only tokens cannot change anything.
      </p>
      {revealed ? <NewTokenReveal name={revealed.name} token={revealed.token} onDone={() => setRevealed(null)} /> : <CreateTokenForm onCreated={setRevealed} />}
      <TokenList />
    </div>
  );
}
