import type { Database } from "@/db/client";
import type { User } from "@/db/schema";
import type { Actor } from "@/server/services/actor";

export type ApiContext = {
  db: Database;
  user: User | null;
  ip: string | null;
  /** "session" or "token:<id>": recorded on audit events. */
  via: string;
  /** Set when the caller authenticated with an API token. */
  tokenScope: "read" | "write" | null;
  /** Why a presented credential was refused, to tell the caller instead of a bare 401. */
  authError?: string;
};

export function actorOf(ctx: ApiContext & { user: User }): Actor & { userId: string } {
  return { userId: ctx.user.id, label: ctx.user.email, ip: ctx.ip, via: ctx.via };
}

/** The client address as the web server saw it (Next sets x-forwarded-for; a proxy in front adds to it). */
export function clientIp(headers: Headers): string | null {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || headers.get("x-real-ip") || null;
}
