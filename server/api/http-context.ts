import { getDb } from "@/db/client";
import { auth } from "@/server/auth";
import { DomainError } from "@/server/services/errors";
import { authenticateToken } from "@/server/services/tokens";
import { findUserById } from "@/server/services/users";
import { clientIp, type ApiContext } from "./context";

/** Who is calling over HTTP: a bearer token when one is sent, else the session cookie. */
export async function createHttpContext(request: Request): Promise<ApiContext> {
  const db = getDb();
  const ip = clientIp(request.headers);
  const authorization = request.headers.get("authorization");
  if (authorization?.toLowerCase().startsWith("bearer ")) {
    try {
      const { user, token } = await authenticateToken(db, authorization.slice(7).trim());
      return { db, ip, user, via: `token:${token.id}`, tokenScope: token.scope };
    } catch (error) {
      if (error instanceof DomainError) return { db, ip, user: null, via: "token", tokenScope: null, authError: error.message };
      throw error;
    }
  }
  return sessionContext(ip);
}

/** The context for server components, which act as the signed-in person. */
export async function sessionContext(ip: string | null = null): Promise<ApiContext> {
  const db = getDb();
  const session = await auth();
  const user = session?.user?.id ? ((await findUserById(db, session.user.id)) ?? null) : null;
  return { db, ip, user, via: "session", tokenScope: null };
}
