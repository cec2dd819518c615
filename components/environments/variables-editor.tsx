"use client";

import { useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import type { EnvironmentRow } from "@/components/ui/api-types";
import { useFieldErrors } from "@/components/ui/field-errors";
import { FormError } from "@/components/ui/form-controls";
import styles from "./environments.module.css";
import { VariableRowEditor } from "./variable-row";
import { checkRows, newRow, rowsOf, sameVariables, type RowErrors, type VariableRow } from "./variables";

const noFields = [] as const;

/** Plain (non-secret) variables as a key/value table, saved together. */
export function VariablesEditor({ projectId, environment, readOnly }: { projectId: string; environment: EnvironmentRow; readOnly: boolean }) {
  const utils = trpc.useUtils();
  const [rows, setRows] = useState<VariableRow[]>(() =>
    Object.keys(environment.variables).length || readOnly ? rowsOf(environment.variables) : [newRow()],
  );
  const [rowErrors, setRowErrors] = useState<Map<string, RowErrors>>(new Map());
  const [clientError, setClientError] = useState<string | null>(null);
  const save = trpc.environments.update.useMutation({
    onSuccess: () => Promise.all([utils.environments.list.invalidate({ projectId }), utils.environments.deletionImpact.invalidate()]),
  });
  // Server-side problems with the variables have no row to sit beside: they show for the table.
  const { formError } = useFieldErrors(save.error, noFields);

  const current = checkRows(rows).variables;
  const dirty = !current || !sameVariables(current, environment.variables);

  function update(key: string, row: VariableRow) {
    setRows((rs) => rs.map((r) => (r.key === key ? row : r)));
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    save.reset();
    const checked = checkRows(rows);
    setRowErrors(checked.errors);
    setClientError(checked.formError ?? null);
    if (checked.variables) save.mutate({ projectId, environmentId: environment.id, variables: checked.variables });
  }

  return (
    <form className="card stack" onSubmit={submit} noValidate aria-labelledby="variables-title">
      <h3 id="variables-title" style={{ margin: 0 }}>
        Variables
      </h3>
      <p className="muted small" style={{ margin: 0 }}>
        Plain values handed to deployments in this environment. They are shown to everyone in the project: keep passwords and keys in secrets.
      </p>
      <table className={styles.variables}>
        <thead>
          <tr>
            <th scope="col" style={{ width: "35%" }}>Name</th>
            <th scope="col">Value</th>
            {!readOnly && (
              <th scope="col">
                <span style={{ position: "absolute", width: 1, height: 1, overflow: "hidden", clip: "rect(0 0 0 0)" }}>Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <VariableRowEditor
              key={row.key}
              row={row}
              index={index}
              errors={rowErrors.get(row.key)}
              readOnly={readOnly}
              onChange={(r) => update(row.key, r)}
              onRemove={() => setRows((rs) => rs.filter((r) => r.key !== row.key))}
            />
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={3} className="muted">
                No variables.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <FormError message={clientError ?? formError} />
      {!readOnly && (
        <div className="row">
          <button type="button" onClick={() => setRows((rs) => [...rs, newRow()])}>
            Add variable
          </button>
          <button type="submit" className="primary" disabled={save.isPending || !dirty}>
            {save.isPending ? "Saving variables…" : "Save variables"}
          </button>
          <span role="status" className="small muted">
            {dirty ? "Unsaved changes." : save.isSuccess ? "Variables saved." : ""}
          </span>
        </div>
      )}
    </form>
  );
}
