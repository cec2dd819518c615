import type { Server } from "node:http";
import Provider from "oidc-provider";
import { baseURL, e2e, oidcIssuer } from "./settings";

/**
 * A real OpenID provider on localhost (oidc-provider) with Rita and the people of
 * `e2e.ssoPeople` in it, told apart by the login typed on its development login
 * page, which accepts any password. Like many real providers,
 * it puts email and name only in the userinfo answer, not in the ID token.
 */
export async function startOidcProvider(): Promise<() => Promise<void>> {
  const provider = new Provider(oidcIssuer, {
    clients: [
      {
        client_id: "slipway-e2e",
        client_secret: "slipway-e2e-secret",
        redirect_uris: [`${baseURL}/api/auth/callback/oidc`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => {
        const person = e2e.ssoPeople[sub] ?? e2e.sso;
        return { sub, email: person.email, email_verified: true, name: person.name };
      },
    }),
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ["e2e-cookie-key"] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  });
  const server: Server = await new Promise((resolve) => {
    const s = provider.listen(e2e.oidcPort, () => resolve(s));
  });
  return () => new Promise((resolve) => server.close(() => resolve()));
}
