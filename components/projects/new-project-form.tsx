"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useRef, useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import { useFieldErrors, useFocusFirstInvalid, validate, type FieldErrors } from "@/components/ui/field-errors";
import { FormError } from "@/components/ui/form-controls";
import { createProjectInput } from "@/server/schemas/project";
import { ProjectFields, projectFieldNames, type ProjectFieldValues } from "./project-fields";
import { slugify } from "./slugify";

const empty: ProjectFieldValues = { name: "", slug: "", repositoryUrl: "", defaultBranch: "main", description: "" };

export function NewProjectForm() {
  const router = useRouter();
  const utils = trpc.useUtils();
  const [values, setValues] = useState(empty);
  // The slug follows the name until the person types in the slug field.
  const [slugEdited, setSlugEdited] = useState(false);
  const [clientErrors, setClientErrors] = useState<FieldErrors | null>(null);
  const create = trpc.projects.create.useMutation({
    onSuccess: async (project) => {
      await utils.projects.list.invalidate();
      router.push(`/projects/${project.slug}`);
    },
  });
  const { errorFor, formError } = useFieldErrors(create.error, projectFieldNames, clientErrors);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formRef, [clientErrors, create.error]);

  function change(field: keyof ProjectFieldValues, value: string) {
    setValues((v) => {
      const next = { ...v, [field]: value };
      if (field === "name" && !slugEdited) next.slug = slugify(value);
      return next;
    });
    if (field === "slug") setSlugEdited(value !== "");
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    create.reset();
    const checked = validate(createProjectInput, values);
    setClientErrors(checked.ok ? null : checked.fieldErrors);
    if (checked.ok) create.mutate(values);
  }

  const busy = create.isPending || create.isSuccess;
  return (
    <form ref={formRef} className="card stack" onSubmit={submit} noValidate aria-label="New project">
      <ProjectFields
        values={values}
        onChange={change}
        errorFor={errorFor}
        disabled={busy}
        slugHint={slugEdited ? undefined : "Suggested from the name until you edit it. Lowercase letters, digits and single hyphens."}
      />
      <p className="muted small">New projects start with three environments: development → staging → production.</p>
      <FormError message={formError} />
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating project…" : "Create project"}
        </button>
        <Link href="/" className="button">
          Cancel
        </Link>
      </div>
    </form>
  );
}
