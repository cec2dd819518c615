const discovered = new Map<string, Promise<string | undefined>>();

/** Reads the OpenID userinfo endpoint of the issuer with the person's access token. */
export async function fetchUserinfo(issuer: string, accessToken: string | undefined): Promise<Record<string, unknown>> {
  if (!accessToken) return {};
  let endpoint = discovered.get(issuer);
  if (!endpoint) {
    endpoint = fetch(new URL(".well-known/openid-configuration", issuer.endsWith("/") ? issuer : issuer + "/"))
      .then((r) => (r.ok ? (r.json() as Promise<{ userinfo_endpoint?: string }>) : {}))
      .then((d: { userinfo_endpoint?: string }) => d.userinfo_endpoint);
    discovered.set(issuer, endpoint);
  }
  const url = await endpoint;
  if (!url) return {};
  const response = await fetch(url, { headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" } });
  return response.ok ? ((await response.json()) as Record<string, unknown>) : {};
}
