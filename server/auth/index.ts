import NextAuth, { CredentialsSignin, type NextAuthConfig } from "next-auth";
import { getDb } from "@/db/client";
import { clientIp } from "@/server/api/context";
import { deriveKey, loadSecretKey } from "@/server/config/secret-key";
import { readSettings } from "@/server/config/settings";
import { TooManyRequestsError } from "@/server/services/errors";
import { recordSignOut, signInWithPassword, upsertExternalUser } from "@/server/services/users";
import { buildProviders } from "./providers";

class RateLimitedSignIn extends CredentialsSignin {
  code = "rate_limited";
}

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name: string };
  }
}

const settings = readSettings();
let secret: string | undefined;

/** Read at the first request, not at import, so building the app touches no data folder. */
function sessionSecret(): string {
  secret ??= process.env.AUTH_SECRET ?? deriveKey(loadSecretKey(settings, settings.dataDir, { create: false }), "auth").toString("hex");
  return secret;
}

function config(request: Request | undefined): NextAuthConfig {
  const ip = request ? clientIp(request.headers) : null;
  return {
    secret: sessionSecret(),
    trustHost: true,
    session: { strategy: "jwt", maxAge: Math.round(settings.SLIPWAY_SESSION_HOURS * 3600) },
    pages: { signIn: "/sign-in", error: "/sign-in" },
    providers: buildProviders(settings, async (email, password) => {
      try {
        const user = await signInWithPassword(getDb(), { email, password }, { ip });
        return user ? { id: user.id, email: user.email, name: user.name } : null;
      } catch (error) {
        if (error instanceof TooManyRequestsError) throw new RateLimitedSignIn();
        throw error;
      }
    }),
    callbacks: {
      signIn({ user, account }) {
        if (account?.provider !== "credentials" && !user.email) return "/sign-in?error=NoEmail";
        return true;
      },
      async jwt({ token, user, account }) {
        if (user && account) {
          if (account.provider === "credentials") {
            token.uid = user.id;
          } else {
            const dbUser = await upsertExternalUser(
              getDb(),
              { email: user.email!, name: user.name ?? null, provider: account.provider },
              { adminEmails: settings.SLIPWAY_ADMIN_EMAILS, ip },
            );
            token.uid = dbUser.id;
            token.name = dbUser.name;
            token.email = dbUser.email;
          }
        }
        return token;
      },
      session({ session, token }) {
        session.user.id = String(token.uid);
        return session;
      },
    },
    events: {
      async signOut(message) {
        const token = "token" in message ? message.token : null;
        if (token?.uid && token.email) await recordSignOut(getDb(), { id: String(token.uid), email: token.email }, ip);
      },
    },
  };
}

export const { handlers, auth, signIn, signOut } = NextAuth((request) => config(request));
