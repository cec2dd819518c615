import { TextAreaField, TextField } from "@/components/ui/form-controls";

export type ProjectFieldValues = { name: string; slug: string; repositoryUrl: string; defaultBranch: string; description: string };
export const projectFieldNames = ["name", "slug", "repositoryUrl", "defaultBranch", "description"] as const;

type Props = {
  values: ProjectFieldValues;
  onChange: (field: keyof ProjectFieldValues, value: string) => void;
  errorFor: (field: string) => string | undefined;
  disabled?: boolean;
  slugHint?: string;
};

/** The inputs of a project, shared by the create form and the settings page. */
export function ProjectFields({ values, onChange, errorFor, disabled, slugHint }: Props) {
  const bind = (field: keyof ProjectFieldValues) => ({
    name: field,
    value: values[field],
    disabled,
    error: errorFor(field),
    onChange: (e: { target: { value: string } }) => onChange(field, e.target.value),
  });
  return (
    <>
      <TextField label="Name" required autoComplete="off" {...bind("name")} />
      <TextField
        label="Slug"
        hint={slugHint ?? "Used in URLs: lowercase letters, digits and single hyphens."}
        required
        autoComplete="off"
        spellCheck={false}
        {...bind("slug")}
      />
      <TextField
        label="Repository URL"
        hint="https://, ssh://, git@host:path or a local path such as /srv/repo.git"
        required
        autoComplete="off"
        spellCheck={false}
        {...bind("repositoryUrl")}
      />
      <TextField label="Default branch" required autoComplete="off" spellCheck={false} {...bind("defaultBranch")} />
      <TextAreaField label="Description" hint="Optional, up to 500 characters." {...bind("description")} />
    </>
  );
}
