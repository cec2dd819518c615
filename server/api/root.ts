import { auditRouter } from "./routers/audit";
import { environmentsRouter } from "./routers/environments";
import { meRouter } from "./routers/me";
import { membersRouter } from "./routers/members";
import { projectsRouter } from "./routers/projects";
import { tokensRouter } from "./routers/tokens";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  me: meRouter,
  projects: projectsRouter,
  members: membersRouter,
  environments: environmentsRouter,
  tokens: tokensRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
