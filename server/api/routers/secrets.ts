import { projectIdInput } from "@/server/schemas/project";
import { deleteSecretInput, setSecretInput } from "@/server/schemas/secret";
import { loadSecretsKey } from "@/server/services/crypto";
import { deleteSecret, listSecrets, setSecret } from "@/server/services/secrets";
import { actorOf } from "../context";
import { projectProcedure, router } from "../trpc";

/** Names and scopes only: no procedure returns a secret's value once it is saved. */
export const secretsRouter = router({
  list: projectProcedure.input(projectIdInput).query(({ ctx, input }) => listSecrets(ctx.db, input.projectId)),
  set: projectProcedure.input(setSecretInput).mutation(({ ctx, input }) => setSecret(ctx.db, loadSecretsKey(), actorOf(ctx), input)),
  delete: projectProcedure.input(deleteSecretInput).mutation(({ ctx, input }) => deleteSecret(ctx.db, actorOf(ctx), input)),
});
