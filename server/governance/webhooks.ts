import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Outgoing webhooks, the pure part: which events a hook wants, the body in each format
 * (generic JSON, Slack, Microsoft Teams), the HMAC signature, the retry schedule, and which
 * addresses are private or loopback (refused unless an administrator allows them).
 */

export type HookFormat = "generic" | "slack" | "teams";

export { HOOK_EVENTS } from "./hook-events";

export type NotificationEvent = {
  /** e.g. approval.requested */
  event: string;
  /** One sentence a person reads in a chat message. */
  summary: string;
  /** Where to act or look (absolute URL). */
  url: string | null;
  project: { id: string; slug: string; name: string };
  /** Anything else about the event, for machines. */
  data: Record<string, unknown>;
  at: string;
};

/** `approval.*` matches every approval event; `*` every event. */
export function hookWants(patterns: string[], event: string): boolean {
  return patterns.some((p) => p === "*" || p === event || (p.endsWith(".*") && event.startsWith(p.slice(0, -1))));
}

export function hookBody(format: HookFormat, e: NotificationEvent): unknown {
  const title = `[${e.project.name}] ${e.summary}`;
  switch (format) {
    case "generic":
      return e;
    case "slack":
      return {
        text: e.url ? `${title} <${e.url}|Open in Slipway>` : title,
        blocks: [
          { type: "section", text: { type: "mrkdwn", text: `*${escapeSlack(e.project.name)}*: ${escapeSlack(e.summary)}` } },
          ...(e.url ? [{ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Open in Slipway" }, url: e.url }] }] : []),
          { type: "context", elements: [{ type: "mrkdwn", text: `${e.event} · ${e.at}` }] },
        ],
      };
    case "teams":
      return {
        type: "message",
        attachments: [
          {
            contentType: "application/vnd.microsoft.card.adaptive",
            content: {
              $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
              type: "AdaptiveCard",
              version: "1.4",
              body: [
                { type: "TextBlock", text: e.project.name, weight: "Bolder", size: "Medium" },
                { type: "TextBlock", text: e.summary, wrap: true },
                { type: "TextBlock", text: `${e.event} · ${e.at}`, isSubtle: true, size: "Small" },
              ],
              actions: e.url ? [{ type: "Action.OpenUrl", title: "Open in Slipway", url: e.url }] : [],
            },
          },
        ],
      };
  }
}

const escapeSlack = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * `X-Slipway-Signature: sha256=<hex>`: HMAC-SHA256 with the hook's secret over
 * `<timestamp>.<body>`, the timestamp sent as `X-Slipway-Timestamp` (seconds), so a receiver
 * can refuse a replayed delivery.
 */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export function verifySignature(secret: string, timestamp: number, body: string, signature: string): boolean {
  const expected = Buffer.from(signBody(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Seconds to wait before attempt n+1 after n failed attempts; null when there is no attempt left. */
export const RETRY_DELAYS_SECONDS = [10, 30, 120, 600, 1800, 3600, 3 * 3600] as const;
export function retryDelay(failedAttempts: number): number | null {
  return failedAttempts >= 1 && failedAttempts <= RETRY_DELAYS_SECONDS.length ? RETRY_DELAYS_SECONDS[failedAttempts - 1] : null;
}
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** Whether a delivery that got `status` (or none: a network error) is worth trying again. */
export function retryable(status: number | null): boolean {
  return status === null || status === 408 || status === 429 || status >= 500;
}

// ---- Addresses ----------------------------------------------------------------------------

function ipv4Parts(address: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** Expands an IPv6 address to its eight 16-bit groups (with an embedded IPv4 tail), or null. */
function ipv6Groups(address: string): number[] | null {
  let text = address.toLowerCase().replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const parts = ipv4Parts(v4[1]);
    if (!parts) return null;
    text = `${text.slice(0, -v4[1].length)}${((parts[0] << 8) | parts[1]).toString(16)}:${((parts[2] << 8) | parts[3]).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (s: string) => (s ? s.split(":") : []);
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : missing < 0) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

/**
 * Why an address may not receive webhooks without an administrator's permission: loopback,
 * private, link-local (cloud metadata), carrier-grade NAT, unspecified, multicast or reserved.
 * Null for a public address. IPv4-mapped IPv6 addresses are judged as their IPv4 address.
 */
export function privateAddressReason(address: string): string | null {
  const v4 = ipv4Parts(address);
  if (v4) {
    const [a, b] = v4;
    if (a === 127) return "a loopback address";
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "a private address";
    if (a === 169 && b === 254) return "a link-local address (such as a cloud metadata service)";
    if (a === 100 && b >= 64 && b <= 127) return "a carrier-grade NAT address";
    if (a === 0) return "an unspecified address";
    if (a >= 224) return "a multicast or reserved address";
    if (a === 192 && b === 0 && v4[2] === 0) return "a reserved address";
    if (a === 198 && (b === 18 || b === 19)) return "a benchmarking address";
    return null;
  }
  const g = ipv6Groups(address);
  if (!g) return "not an IP address";
  if (g.every((x) => x === 0)) return "an unspecified address";
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return "a loopback address";
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return privateAddressReason(`${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`);
  if ((g[0] & 0xfe00) === 0xfc00) return "a private address";
  if ((g[0] & 0xffc0) === 0xfe80) return "a link-local address";
  if ((g[0] & 0xff00) === 0xff00) return "a multicast address";
  return null;
}

/** What is wrong with a hook's URL as written (scheme, credentials), or null. Addresses are checked when it is resolved. */
export function hookUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "Enter a full URL, such as https://hooks.slack.com/services/…";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return "A webhook URL starts with https:// (or http://).";
  if (parsed.username || parsed.password) return "Put no user name or password in the URL; the signature header authenticates Slipway.";
  return null;
}
