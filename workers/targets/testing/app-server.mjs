// A tiny web app for the local target's tests and benchmarks, started once per instance in a
// release folder holding app.json: { "version", "healthy", "failRequests", "startDelayMs" }.
// GET /healthz answers 200 (503 when unhealthy, or once a file named "unhealthy" appears in
// the folder, which benchmarks use to break a serving release); any other path answers its
// version, or a 500 when failRequests is set. The first failing health answer is timed in
// "first-unhealthy-<pid>". It listens on 127.0.0.1:$PORT and closes gracefully on SIGTERM.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";

const app = JSON.parse(readFileSync("app.json", "utf8"));
const port = Number(process.env.PORT);

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    const healthy = app.healthy && !existsSync("unhealthy");
    if (!healthy && !existsSync(`first-unhealthy-${process.pid}`)) writeFileSync(`first-unhealthy-${process.pid}`, String(Date.now()));
    res.writeHead(healthy ? 200 : 503, { "content-type": "text/plain" }).end(healthy ? "ok\n" : "unhealthy\n");
  } else if (app.failRequests) {
    res.writeHead(500, { "content-type": "text/plain" }).end(`version ${app.version} fails on purpose\n`);
  } else {
    res.writeHead(200, { "content-type": "text/plain" }).end(`version ${app.version}\n`);
  }
});
server.keepAliveTimeout = 65_000;

setTimeout(() => server.listen(port, "127.0.0.1"), app.startDelayMs ?? 0);

process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 3_000).unref();
});
