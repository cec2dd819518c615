import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { deploymentSpecSchema } from "@/server/deploy";
import { WARM_UP_REQUESTS, warmUpByProbing } from "./probe";

const check = deploymentSpecSchema.parse({ strategy: "rolling", healthCheck: { path: "/healthz" } }).healthCheck;
let server: http.Server | null = null;

/** An app that counts the connections and requests it gets, and answers 503 from request `failFrom` on. */
async function countingApp(failFrom = Infinity) {
  const seen = { requests: 0, connections: 0, paths: new Set<string>() };
  server = http.createServer((req, res) => {
    seen.requests++;
    seen.paths.add(req.url!);
    res.writeHead(seen.requests >= failFrom ? 503 : 200).end();
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
  it("sends its health path the warm-up requests, each as a new client would, and reports none failed", async () => {
    const { base, seen } = await countingApp();
    expect(await warmUpByProbing(base, check)).toBeNull();
    expect(seen).toEqual({ requests: WARM_UP_REQUESTS, connections: WARM_UP_REQUESTS, paths: new Set(["/healthz"]) });
  });

  it("stops at the first request that fails the check and reports it", async () => {
    const { base, seen } = await countingApp(5);
    expect(await warmUpByProbing(base, check)).toMatchObject({ status: 503 });
    expect(seen.requests).toBe(5);
  });

  it("reports an instance that stopped listening", async () => {
    const { base } = await countingApp();
    await new Promise((resolve) => server!.close(resolve));
    server = null;
    expect(await warmUpByProbing(base, check)).toMatchObject({ status: null, refused: true });
  });
});
