import { describe, expect, it } from "vitest";
import { hookBody, hookUrlProblem, hookWants, MAX_ATTEMPTS, privateAddressReason, retryable, retryDelay, signBody, verifySignature, type NotificationEvent } from "./webhooks";

const event: NotificationEvent = {
  event: "approval.requested",
  summary: "1.4.2 to production waits for approval (Release manager)",
  url: "https://slipway.example.test/go/approval/abc",
  project: { id: "p", slug: "shop", name: "Shop <&>" },
  data: { version: "1.4.2" },
  at: "2026-03-04T12:00:00.000Z",
};

describe("which events a hook wants", () => {
  it("matches exact names, prefixes and everything", () => {
    expect(hookWants(["approval.requested"], "approval.requested")).toBe(true);
    expect(hookWants(["approval.*"], "approval.expired")).toBe(true);
    expect(hookWants(["approval.*"], "deployment.failed")).toBe(false);
    expect(hookWants(["*"], "run.failed")).toBe(true);
    expect(hookWants([], "run.failed")).toBe(false);
  });
});

describe("bodies", () => {
  it("are the event itself in the generic form", () => {
    expect(hookBody("generic", event)).toEqual(event);
  });
  it("are Slack messages with escaped text and a button", () => {
    const body = hookBody("slack", event) as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(body.text).toBe("[Shop <&>] 1.4.2 to production waits for approval (Release manager) <https://slipway.example.test/go/approval/abc|Open in Slipway>");
    expect(body.blocks[0].text!.text).toBe("*Shop &lt;&amp;&gt;*: 1.4.2 to production waits for approval (Release manager)");
    expect(body.blocks.map((b) => b.type)).toEqual(["section", "actions", "context"]);
  });
  it("are Teams adaptive cards with an open action", () => {
    const body = hookBody("teams", { ...event, url: null }) as { type: string; attachments: { content: { actions: unknown[]; body: { text: string }[] } }[] };
    expect(body.type).toBe("message");
    expect(body.attachments[0].content.body[1].text).toBe(event.summary);
    expect(body.attachments[0].content.actions).toEqual([]);
  });
});

describe("signatures", () => {
  it("sign the timestamp and body, and verify only the same", () => {
    const sig = signBody("s3cret", 1700000000, '{"a":1}');
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature("s3cret", 1700000000, '{"a":1}', sig)).toBe(true);
    expect(verifySignature("s3cret", 1700000001, '{"a":1}', sig)).toBe(false);
    expect(verifySignature("other", 1700000000, '{"a":1}', sig)).toBe(false);
    expect(verifySignature("s3cret", 1700000000, '{"a":2}', sig)).toBe(false);
  });
});

describe("retries", () => {
  it("back off, then stop", () => {
    expect([1, 2, 3, 7, 8].map(retryDelay)).toEqual([10, 30, 120, 3 * 3600, null]);
    expect(MAX_ATTEMPTS).toBe(8);
  });
  it("retry network errors, timeouts, throttling and server errors only", () => {
    expect([null, 408, 429, 500, 503].map(retryable)).toEqual([true, true, true, true, true]);
    expect([400, 401, 404, 410].map(retryable)).toEqual([false, false, false, false]);
  });
});

describe("addresses", () => {
  it("refuse loopback, private, link-local, CGNAT, unspecified and multicast IPv4", () => {
    const cases: Record<string, string | null> = {
      "127.0.0.1": "a loopback address",
      "10.1.2.3": "a private address",
      "172.16.0.1": "a private address",
      "172.31.255.255": "a private address",
      "172.32.0.1": null,
      "192.168.1.1": "a private address",
      "169.254.169.254": "a link-local address (such as a cloud metadata service)",
      "100.64.0.1": "a carrier-grade NAT address",
      "0.0.0.0": "an unspecified address",
      "224.0.0.1": "a multicast or reserved address",
      "93.184.216.34": null,
      "8.8.8.8": null,
    };
    for (const [address, reason] of Object.entries(cases)) expect(privateAddressReason(address), address).toBe(reason);
  });
  it("refuse the same in IPv6, including IPv4-mapped addresses", () => {
    const cases: Record<string, string | null> = {
      "::1": "a loopback address",
      "::": "an unspecified address",
      "fc00::1": "a private address",
      "fd12:3456::1": "a private address",
      "fe80::1%eth0": "a link-local address",
      "::ffff:127.0.0.1": "a loopback address",
      "::ffff:7f00:1": "a loopback address",
      "::ffff:8.8.8.8": null,
      "2606:4700:4700::1111": null,
      "[::1]": "a loopback address",
      "nonsense": "not an IP address",
    };
    for (const [address, reason] of Object.entries(cases)) expect(privateAddressReason(address), address).toBe(reason);
  });
  it("check the URL's form", () => {
    expect(hookUrlProblem("https://hooks.slack.com/services/x")).toBeNull();
    expect(hookUrlProblem("ftp://x")).toBe("A webhook URL starts with https:// (or http://).");
    expect(hookUrlProblem("https://u:p@x.test/")).toMatch(/no user name or password/);
    expect(hookUrlProblem("hooks")).toMatch(/full URL/);
  });
});
