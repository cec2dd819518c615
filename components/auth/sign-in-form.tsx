"use client";

import { signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";
import type { SsoProviderInfo } from "@/server/auth/providers";

const credentialErrors: Record<string, string> = {
  rate_limited: "Too many failed sign-ins. Wait 15 minutes and try again, or ask an admin to reset your password.",
  credentials: "That email and password do not match.",
};

export function SignInForm({ providers, callbackUrl }: { providers: SsoProviderInfo[]; callbackUrl: string }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setPending(false);
    if (result?.error) setError(credentialErrors[result.code ?? "credentials"] ?? credentialErrors.credentials);
    else window.location.assign(callbackUrl);
  }

  return (
    <div className="stack">
      {providers.map((p) => (
        <button key={p.id} className="primary" type="button" onClick={() => void signIn(p.id, { redirectTo: callbackUrl })}>
          Sign in with {p.name}
        </button>
      ))}
      {providers.length > 0 && <div className="divider">or with a password</div>}
      <form className="stack" onSubmit={submit} noValidate>
        <label className="field">
          Email
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label className="field">
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className={providers.length ? "" : "primary"} disabled={pending}>
          {pending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
