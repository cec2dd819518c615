import type { Provider } from "next-auth/providers";
import Credentials from "next-auth/providers/credentials";
import GitHub from "next-auth/providers/github";
import type { Settings } from "@/server/config/settings";
import { fetchUserinfo } from "./userinfo";

export type SsoProviderInfo = { id: string; name: string };

/** The SSO buttons the sign-in page shows, derived from the same settings as the providers. */
export function ssoProviders(settings: Settings): SsoProviderInfo[] {
  const list: SsoProviderInfo[] = [];
  if (settings.SLIPWAY_OIDC_ISSUER) list.push({ id: "oidc", name: settings.SLIPWAY_OIDC_NAME });
  if (settings.SLIPWAY_GITHUB_CLIENT_ID) list.push({ id: "github", name: "GitHub" });
  return list;
}

type Claims = { sub: string; email?: string; name?: string; preferred_username?: string; given_name?: string; family_name?: string };

export function buildProviders(settings: Settings, authorize: (email: string, password: string) => Promise<{ id: string; email: string; name: string } | null>): Provider[] {
  const providers: Provider[] = [
    Credentials({
      id: "credentials",
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      authorize: async (credentials) => {
        const email = typeof credentials?.email === "string" ? credentials.email : "";
        const password = typeof credentials?.password === "string" ? credentials.password : "";
        if (!email || !password) return null;
        return authorize(email, password);
      },
    }),
  ];
  if (settings.SLIPWAY_OIDC_ISSUER) {
    const issuer = settings.SLIPWAY_OIDC_ISSUER;
    providers.push({
      id: "oidc",
      name: settings.SLIPWAY_OIDC_NAME,
      type: "oidc",
      issuer,
      clientId: settings.SLIPWAY_OIDC_CLIENT_ID,
      clientSecret: settings.SLIPWAY_OIDC_CLIENT_SECRET,
      authorization: { params: { scope: "openid email profile" } },
      checks: ["pkce", "state", "nonce"],
      // Many providers put email and name only in userinfo, not in the ID token: ask it when they are missing.
      async profile(claims: Claims, tokens) {
        const info = claims.email && claims.name ? {} : await fetchUserinfo(issuer, tokens.access_token);
        const merged = { ...info, ...stripEmpty(claims) } as Claims;
        const name = merged.name ?? ([merged.given_name, merged.family_name].filter(Boolean).join(" ") || merged.preferred_username);
        return { id: merged.sub, email: merged.email, name };
      },
    });
  }
  if (settings.SLIPWAY_GITHUB_CLIENT_ID) {
    providers.push(GitHub({ clientId: settings.SLIPWAY_GITHUB_CLIENT_ID, clientSecret: settings.SLIPWAY_GITHUB_CLIENT_SECRET }));
  }
  return providers;
}

function stripEmpty(claims: Claims): Partial<Claims> {
  return Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined && v !== null && v !== "")) as Partial<Claims>;
}
