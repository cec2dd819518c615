import "server-only";
import { headers } from "next/headers";
import { clientIp } from "./context";
import { sessionContext } from "./http-context";
import { createCaller } from "./root";

/** Server components call procedures through this, as the signed-in person, with the same access rules. */
export async function serverApi() {
  const ctx = await sessionContext(clientIp(await headers()));
  return { api: createCaller(ctx), user: ctx.user };
}
