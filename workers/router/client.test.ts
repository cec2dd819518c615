import { afterEach, describe, expect, it } from "vitest";
import type { RouteEntry } from "@/server/services/routing";
import { pushRoute, readRouterCommittedTraffic, readRouterTraffic, RouterUnavailableError } from "./client";
import { refusingUrl, startUpstream, type Upstream } from "./testing";

const environmentId = "0b8a3c52-7c1e-4d8e-9a57-4a8f2f0c1d10";
const entry = { environmentId, port: 8080, versions: [] } as unknown as RouteEntry;

/** A stand-in for the router's admin port: answers every request with `status` and `body`. */
let admin: Upstream | null = null;
async function adminAnswering(status: number, body: unknown): Promise<string> {
  admin = await startUpstream("admin", (req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(status, { "content-type": "application/json" }).end(typeof body === "string" ? body : JSON.stringify(body)));
  });
  return admin.url;
}

afterEach(async () => {
  await admin?.close();
  admin = null;
});

describe("what the deployer asks the router", () => {
  it("reads the split served and the split committed from the route", async () => {
    const url = await adminAnswering(200, { weights: { "1.0.2": 100 }, committedWeights: { "1.0.1": 100 } });
    expect(await readRouterTraffic(url, environmentId)).toEqual({ "1.0.2": 100 });
    expect(await readRouterCommittedTraffic(url, environmentId)).toEqual({ "1.0.1": 100 });
    expect(admin!.received.map((r) => `${r.method} ${r.url}`)).toEqual([`GET /routes/${environmentId}`, `GET /routes/${environmentId}`]);
  });

  it("reads no split for an environment the router does not serve", async () => {
    expect(await readRouterTraffic(await adminAnswering(404, { error: "no such environment" }), environmentId)).toEqual({});
  });

  it("says which router failed and how, when it answers an error or is down", async () => {
    const failing = readRouterTraffic(await adminAnswering(500, "the table is broken"), environmentId);
    await expect(failing).rejects.toThrow(RouterUnavailableError);
    await expect(failing).rejects.toThrow(`the router answered 500 to /routes/${environmentId}: the table is broken`);
    const down = await refusingUrl();
    await expect(readRouterTraffic(down, environmentId)).rejects.toThrow(`the router at ${down} did not answer`);
  });

  it("pushes a committed route and reports the router's outcome; null when the router cannot take it", async () => {
    const url = await adminAnswering(200, { outcome: "applied" });
    expect(await pushRoute(url, entry)).toBe("applied");
    const [put] = admin!.received;
    expect(`${put.method} ${put.url} ${put.headers["content-type"]}`).toBe(`PUT /routes/${environmentId} application/json`);
    await admin!.close();

    // The database notification brings the router the same change: a failed push is no error.
    expect(await pushRoute(await adminAnswering(503, { error: "starting" }), entry)).toBeNull();
    expect(await pushRoute(await refusingUrl(), entry)).toBeNull();
  });
});
