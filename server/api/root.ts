import { approvalsRouter } from "./routers/approvals";
import { auditRouter } from "./routers/audit";
import { deploymentsRouter } from "./routers/deployments";
import { environmentsRouter } from "./routers/environments";
import { governanceRouter } from "./routers/governance";
import { meRouter } from "./routers/me";
import { membersRouter } from "./routers/members";
import { notificationsRouter } from "./routers/notifications";
import { pipelinesRouter } from "./routers/pipelines";
import { projectsRouter } from "./routers/projects";
import { releasesRouter } from "./routers/releases";
import { runsRouter } from "./routers/runs";
import { secretsRouter } from "./routers/secrets";
import { tokensRouter } from "./routers/tokens";
import { webhooksRouter } from "./routers/webhooks";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  me: meRouter,
  projects: projectsRouter,
  runs: runsRouter,
  pipelines: pipelinesRouter,
  members: membersRouter,
  environments: environmentsRouter,
  secrets: secretsRouter,
  tokens: tokensRouter,
  webhooks: webhooksRouter,
  audit: auditRouter,
  releases: releasesRouter,
  deployments: deploymentsRouter,
  approvals: approvalsRouter,
  governance: governanceRouter,
  notifications: notificationsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
