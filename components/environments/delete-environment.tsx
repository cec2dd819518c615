"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { EnvironmentRow, ProjectWithRole } from "@/components/ui/api-types";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { useFieldErrors } from "@/components/ui/field-errors";
import { TextField } from "@/components/ui/form-controls";
import { plural } from "@/components/ui/format";
import { Loading, QueryError } from "@/components/ui/query-state";

const fields = ["confirmName"] as const;

/** Deleting needs the environment's name typed, after saying what goes with it. */
export function DeleteEnvironment({ project, environment }: { project: ProjectWithRole; environment: EnvironmentRow }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const ref = { projectId: project.id, environmentId: environment.id };
  const impact = trpc.environments.deletionImpact.useQuery(ref, { enabled: open });
  const remove = trpc.environments.delete.useMutation({
    onSuccess: async () => {
      // Mark stale without refetching here, or this page would say "does not exist" while it is being left;
      // the overview refetches when it mounts.
      await Promise.all([
        utils.environments.list.invalidate({ projectId: project.id }, { refetchType: "none" }),
        utils.projects.list.invalidate(),
      ]);
      router.push(`/projects/${project.slug}`);
    },
  });
  const { errorFor, formError } = useFieldErrors(remove.error, fields);

  function close() {
    setOpen(false);
    setTyped("");
    remove.reset();
  }

  return (
    <section className="card stack" aria-labelledby="delete-env-title" style={{ borderColor: "var(--danger)" }}>
      <h3 id="delete-env-title" style={{ margin: 0 }}>
        Delete this environment
      </h3>
      <p className="muted small" style={{ margin: 0 }}>
        Deleting removes the environment from the promotion order together with its variables. It cannot be undone.
      </p>
      <div>
        <button type="button" className="danger" onClick={() => setOpen(true)}>
          Delete environment…
        </button>
      </div>
      <ConfirmDialog
        open={open}
        title={`Delete the environment “${environment.name}”?`}
        confirmLabel="Delete environment"
        pendingLabel="Deleting…"
        danger
        pending={remove.isPending || remove.isSuccess}
        confirmDisabled={!impact.isSuccess || typed.trim() !== impact.data.name}
        error={formError}
        onCancel={close}
        onConfirm={() => remove.mutate({ ...ref, confirmName: typed })}
      >
        {impact.isPending ? (
          <Loading label="Checking what this deletes…" />
        ) : impact.isError ? (
          <QueryError error={impact.error} />
        ) : (
          <>
            <p style={{ margin: 0 }}>
              This deletes <strong>{impact.data.name}</strong> from <strong>{project.name}</strong> and with it{" "}
              <strong>{plural(impact.data.variableCount, "variable")}</strong>. It cannot be undone.
            </p>
            <TextField
              label={
                <span>
                  Type <code>{impact.data.name}</code> to confirm
                </span>
              }
              name="confirmName"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              error={errorFor("confirmName")}
              autoComplete="off"
              spellCheck={false}
              autoFocus
            />
          </>
        )}
      </ConfirmDialog>
    </section>
  );
}
