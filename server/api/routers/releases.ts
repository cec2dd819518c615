import { listReleasesInput, releaseIdInput } from "@/server/schemas/release";
import { getRelease, listReleases } from "@/server/services/releases";
import { projectProcedure, router } from "../trpc";

export const releasesRouter = router({
  list: projectProcedure.input(listReleasesInput).query(({ ctx, input }) => listReleases(ctx.db, input.projectId, input)),
  /** With where it is deployed: per environment, whether it serves there now and its deployments. */
  get: projectProcedure.input(releaseIdInput).query(({ ctx, input }) => getRelease(ctx.db, input.projectId, input.releaseId)),
});
