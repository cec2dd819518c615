import { procedure, router } from "../trpc";

export const meRouter = router({
  get: procedure.query(({ ctx }) => ({
    id: ctx.user.id,
    email: ctx.user.email,
    name: ctx.user.name,
    isAdmin: ctx.user.isAdmin,
  })),
});
