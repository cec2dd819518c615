"use client";

import { useRouter } from "next/navigation";
import { useRef, useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { useFieldErrors, useFocusFirstInvalid, validate, type FieldErrors } from "@/components/ui/field-errors";
import { FormError } from "@/components/ui/form-controls";
import { updateProjectInput } from "@/server/schemas/project";
import { ProjectFields, projectFieldNames, type ProjectFieldValues } from "./project-fields";

const valuesOf = (p: ProjectWithRole): ProjectFieldValues => ({
  name: p.name,
  slug: p.slug,
  repositoryUrl: p.repositoryUrl,
  defaultBranch: p.defaultBranch,
  description: p.description,
});

/** The project's own fields; only admins may change them, so others see them read-only. */
export function EditProjectForm({ project, canEdit }: { project: ProjectWithRole; canEdit: boolean }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const [values, setValues] = useState(() => valuesOf(project));
  const [clientErrors, setClientErrors] = useState<FieldErrors | null>(null);
  const saved = valuesOf(project);
  const update = trpc.projects.update.useMutation({
    onSuccess: async (after) => {
      // A new slug is a new address: go there rather than refetch the old one (which no longer exists).
      if (after.slug !== project.slug) router.replace(`/projects/${after.slug}/settings`);
      else await utils.projects.get.invalidate({ projectSlug: project.slug });
      await utils.projects.list.invalidate();
    },
  });
  const { errorFor, formError } = useFieldErrors(update.error, projectFieldNames, clientErrors);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formRef, [clientErrors, update.error]);
  // Only the fields that changed are sent, so the audit trail records just those.
  const changes = Object.fromEntries(projectFieldNames.filter((f) => values[f].trim() !== saved[f]).map((f) => [f, values[f]]));
  const dirty = Object.keys(changes).length > 0;

  function submit(event: FormEvent) {
    event.preventDefault();
    update.reset();
    const input = { projectId: project.id, ...changes };
    const checked = validate(updateProjectInput, input);
    setClientErrors(checked.ok ? null : checked.fieldErrors);
    if (checked.ok) update.mutate(input);
  }

  return (
    <form ref={formRef} className="card stack" onSubmit={submit} noValidate aria-labelledby="project-fields-title">
      <h2 id="project-fields-title" style={{ margin: 0 }}>
        Project
      </h2>
      {!canEdit && <p className="notice small" style={{ margin: 0 }}>Only project admins can change these.</p>}
      <ProjectFields
        values={values}
        onChange={(field, value) => setValues((v) => ({ ...v, [field]: value }))}
        errorFor={errorFor}
        disabled={!canEdit || update.isPending}
        slugHint="Used in URLs; changing it changes this project's address."
      />
      <FormError message={formError} />
      {canEdit && (
        <div className="row">
          <button type="submit" className="primary" disabled={update.isPending || !dirty}>
            {update.isPending ? "Saving…" : "Save changes"}
          </button>
          <span role="status" className="small muted">
            {update.isSuccess && !dirty ? "Saved." : ""}
          </span>
        </div>
      )}
    </form>
  );
}
