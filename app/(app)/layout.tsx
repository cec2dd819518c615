import Link from "next/link";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { ApprovalsNavLink } from "@/components/approvals/approvals-nav-link";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { serverApi } from "@/server/api/server-caller";

export const dynamic = "force-dynamic";

/** Every page inside needs a signed-in person. */
export default async function AppLayout({ children }: { children: ReactNode }) {
  const { user } = await serverApi();
  if (!user) redirect("/sign-in");
  return (
    <>
      <header className="topbar">
        <Link href="/" className="brand">
          Slipway
        </Link>
        <nav>
          <Link href="/">Projects</Link>
          <ApprovalsNavLink />
          <Link href="/tokens">API tokens</Link>
          <Link href="/audit">Audit</Link>
        </nav>
        <div className="who">
          <span data-testid="signed-in-as">
            {user.name} · {user.email}
            {user.isAdmin ? " · admin" : ""}
          </span>
          <SignOutButton />
        </div>
      </header>
      <main className="page">{children}</main>
    </>
  );
}
