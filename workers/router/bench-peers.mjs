// The router benchmark's other processes, in plain JavaScript so they start without a
// TypeScript loader and leave the router's process its own core:
//   node bench-peers.mjs upstream                      -> prints {"port":N}, answers "ok" until killed
//   node bench-peers.mjs load <port> <connections> <ms> -> prints {"responses","non2xx","errors","ms"}
//   node bench-peers.mjs proxy <upstream port>          -> prints {"port":N}: the least a Node proxy does (no
//                                                         routes, weights or stats), the floor to compare with
// The load generator speaks HTTP/1.1 keep-alive over raw sockets, one request in flight per
// connection, so parsing on the client side costs little next to the router it measures.
import { Buffer } from "node:buffer";
import http from "node:http";
import net from "node:net";
import { performance } from "node:perf_hooks";

const [mode, ...args] = process.argv.slice(2);

if (mode === "upstream") {
  const server = http.createServer((_req, res) => res.end("ok"));
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
} else if (mode === "load") {
  const [port, connections, durationMs] = args.map(Number);
  const request = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  const totals = { responses: 0, non2xx: 0, errors: 0, ms: 0 };
  const started = performance.now();
  const deadline = started + durationMs;
  const runs = [];
  for (let i = 0; i < connections; i++) runs.push(loop(port, request, deadline, totals));
  await Promise.all(runs);
  totals.ms = performance.now() - started;
  console.log(JSON.stringify(totals));
  process.exit(0);
} else if (mode === "proxy") {
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 256 });
  const upstreamPort = Number(args[0]);
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: "127.0.0.1", port: upstreamPort, path: req.url, method: req.method, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
} else {
  console.error("usage: node bench-peers.mjs upstream | load <port> <connections> <ms> | proxy <upstream port>");
  process.exit(2);
}

/** Sends a request, reads one whole response (Content-Length framed), and repeats until the deadline. */
function loop(port, request, deadline, totals) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    const next = () => {
      if (performance.now() >= deadline) {
        socket.end();
        return resolve();
      }
      socket.write(request);
    };
    socket.on("connect", next);
    socket.on("error", () => {
      totals.errors++;
      resolve();
    });
    socket.on("data", (chunk) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (;;) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffer.toString("latin1", 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        totals.responses++;
        if (!head.startsWith("HTTP/1.1 2")) totals.non2xx++;
        buffer = buffer.subarray(end + 4 + length);
        next();
      }
    });
  });
}
