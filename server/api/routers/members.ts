import { addMemberInput, projectIdInput, removeMemberInput, updateMemberInput } from "@/server/schemas/project";
import { addMember, listMembers, removeMember, updateMemberRole } from "@/server/services/members";
import { actorOf } from "../context";
import { projectProcedure, router } from "../trpc";

export const membersRouter = router({
  list: projectProcedure.input(projectIdInput).query(({ ctx, input }) => listMembers(ctx.db, input.projectId)),
  add: projectProcedure.input(addMemberInput).mutation(({ ctx, input }) => addMember(ctx.db, actorOf(ctx), input)),
  updateRole: projectProcedure.input(updateMemberInput).mutation(({ ctx, input }) => updateMemberRole(ctx.db, actorOf(ctx), input)),
  remove: projectProcedure.input(removeMemberInput).mutation(({ ctx, input }) => removeMember(ctx.db, actorOf(ctx), input)),
});
