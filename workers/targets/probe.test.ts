import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { deploymentSpecSchema } from "@/server/deploy";
import { warmUpByProbing } from "./probe";

const { healthCheck: check, warmUp } = deploymentSpecSchema.parse({ strategy: "rolling", healthCheck: { path: "/healthz" } });
let server: http.Server | null = null;

/** An app that counts the connections and requests it gets, and answers `status` (200 unless told) to each, 503 from request `failFrom` on. */
async function countingApp(failFrom = Infinity, status = 200) {
  const seen = { requests: 0, connections: 0, paths: new Set<string>() };
  server = http.createServer((req, res) => {
    seen.requests++;
    seen.paths.add(req.url!);
    res.writeHead(seen.requests >= failFrom ? 503 : status).end();
  });
  server.on("connection", () => seen.connections++);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

afterEach(async () => {
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = null;
});

describe("warming up a new instance before it joins traffic", () => {
  it("sends the health path the warm-up requests by default, over one kept-alive connection as the router's are, and reports none failed", async () => {
    const { base, seen } = await countingApp();
    expect(warmUp).toEqual({ requests: 200 });
    expect(await warmUpByProbing(base, check, warmUp)).toBeNull();
    expect(seen).toEqual({ requests: 200, connections: 1, paths: new Set(["/healthz"]) });
  });

  it("sends them to the path it is given, as many as asked, and takes any answer but a server error", async () => {
    const { base, seen } = await countingApp(Infinity, 404);
    expect(await warmUpByProbing(base, check, { path: "/orders?page=1", requests: 7 })).toBeNull();
    expect(seen).toEqual({ requests: 7, connections: 1, paths: new Set(["/orders?page=1"]) });
  });

  it("sends none when asked for none", async () => {
    const { base, seen } = await countingApp();
    expect(await warmUpByProbing(base, check, { requests: 0 })).toBeNull();
    expect(seen.requests).toBe(0);
  });

  it("stops at the first server error and reports it", async () => {
    const { base, seen } = await countingApp(5);
    expect(await warmUpByProbing(base, check, warmUp)).toMatchObject({ status: 503 });
    expect(seen.requests).toBe(5);
  });

  it("reports an instance that stopped listening", async () => {
    const { base } = await countingApp();
    await new Promise((resolve) => server!.close(resolve));
    server = null;
    expect(await warmUpByProbing(base, check, warmUp)).toMatchObject({ status: null, refused: true });
  });
});
