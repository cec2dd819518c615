import type { Metadata } from "next";
import { SignInForm } from "@/components/auth/sign-in-form";
import { ssoProviders } from "@/server/auth/providers";
import { readSettings } from "@/server/config/settings";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

const errorMessages: Record<string, string> = {
  NoEmail: "Your identity provider did not share an email address, which Slipway needs. Ask your admin to release the email claim.",
  AccessDenied: "Sign-in was refused.",
  OAuthCallbackError: "The identity provider sent you back with an error. Try again.",
  Configuration: "Sign-in is misconfigured on this server; an admin can see the details in the web log.",
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const params = await searchParams;
  const callbackUrl = params.callbackUrl?.startsWith("/") ? params.callbackUrl : "/";
  const error = params.error && params.error !== "CredentialsSignin" ? (errorMessages[params.error] ?? "Sign-in failed. Try again.") : null;
  return (
    <div className="auth-page">
      <div className="card auth-card stack">
        <h1>Sign in to Slipway</h1>
        {error && <p className="notice error">{error}</p>}
        <SignInForm providers={ssoProviders(readSettings())} callbackUrl={callbackUrl} />
      </div>
    </div>
  );
}
