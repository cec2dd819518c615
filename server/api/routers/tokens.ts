import { createTokenInput, tokenIdInput } from "@/server/schemas/token";
import { createToken, listTokens, revokeToken } from "@/server/services/tokens";
import { actorOf } from "../context";
import { procedure, router } from "../trpc";

export const tokensRouter = router({
  list: procedure.query(({ ctx }) => listTokens(ctx.db, ctx.user.id)),
  create: procedure.input(createTokenInput).mutation(({ ctx, input }) => createToken(ctx.db, actorOf(ctx), input)),
  revoke: procedure.input(tokenIdInput).mutation(({ ctx, input }) => revokeToken(ctx.db, actorOf(ctx), input.tokenId)),
});
