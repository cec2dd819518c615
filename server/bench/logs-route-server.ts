import http from "node:http";
import { Readable } from "node:stream";
import { GET } from "@/app/api/jobs/[jobId]/log/stream/route";

/**
 * The log stream endpoint's own route handler (app/api/jobs/[jobId]/log/stream/route.ts)
 * behind a minimal Node HTTP adapter, in a process of its own like the web
 * process. The log benches use it only when the production build in .next
 * does not contain the route yet; everything from authentication to the SSE
 * framing is the endpoint's code, only Next's request router is missing.
 */
const PATH = /^\/api\/jobs\/([^/]+)\/log\/stream$/;

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
  const match = PATH.exec(url.pathname);
  if (req.method !== "GET" || !match) {
    res.writeHead(404).end();
    return;
  }
  const aborted = new AbortController();
  res.once("close", () => aborted.abort());
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
  headers.set("x-forwarded-for", req.socket.remoteAddress ?? "127.0.0.1");
  try {
    const response = await GET(new Request(url, { headers, signal: aborted.signal }), { params: Promise.resolve({ jobId: decodeURIComponent(match[1]) }) });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.flushHeaders();
    if (!response.body) return void res.end();
    Readable.fromWeb(response.body as import("node:stream/web").ReadableStream).pipe(res);
  } catch (error) {
    console.error(error);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
});

server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log(`web ready on port ${process.env.PORT}`));
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
if (process.send) process.on("disconnect", () => process.exit(0));
