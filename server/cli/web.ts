import http from "node:http";
import next from "next";
import { onShutdown } from "./child-lifecycle";

/**
 * The web process: Next.js behind a plain Node server so that it stops with
 * its parent and records each client's address for the audit trail.
 */
async function main() {
  const port = Number(process.env.PORT ?? 3000);
  const app = next({ dev: false, dir: process.cwd(), port, hostname: "localhost" });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = http.createServer((request, response) => {
    if (!request.headers["x-forwarded-for"] && request.socket.remoteAddress) {
      request.headers["x-forwarded-for"] = request.socket.remoteAddress;
    }
    void handle(request, response);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, () => console.log(`web ready on port ${port}`));
  onShutdown(async () => {
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
  });
}

main().catch((error) => {
  console.error(`web failed to start: ${(error as Error).message}`);
  process.exit(1);
});
