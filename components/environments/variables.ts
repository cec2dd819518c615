import { variableNameSchema, variablesSchema } from "@/server/schemas/environment";
import { z } from "zod";

export type VariableRow = { key: string; name: string; value: string };
export type RowErrors = { name?: string; value?: string };

const valueSchema = z.string().max(10_000, "A variable's value is at most 10,000 characters.");

let nextKey = 0;
export const newRow = (name = "", value = ""): VariableRow => ({ key: `row-${nextKey++}`, name, value });

export function rowsOf(variables: Record<string, string>): VariableRow[] {
  return Object.entries(variables)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => newRow(name, value));
}

/** Checks each row with the API's rules; empty rows are dropped, not refused. */
export function checkRows(rows: VariableRow[]): { errors: Map<string, RowErrors>; formError?: string; variables?: Record<string, string> } {
  const errors = new Map<string, RowErrors>();
  const seen = new Map<string, string>();
  const filled = rows.filter((r) => r.name.trim() !== "" || r.value !== "");
  for (const row of filled) {
    const rowErrors: RowErrors = {};
    const name = row.name.trim();
    if (!name) rowErrors.name = "Name this variable, or remove the row.";
    else {
      const checked = variableNameSchema.safeParse(name);
      if (!checked.success) rowErrors.name = checked.error.issues[0]?.message;
      else if (seen.has(name)) rowErrors.name = `"${name}" is already defined above.`;
      seen.set(name, row.key);
    }
    const value = valueSchema.safeParse(row.value);
    if (!value.success) rowErrors.value = value.error.issues[0]?.message;
    if (rowErrors.name || rowErrors.value) errors.set(row.key, rowErrors);
  }
  if (errors.size) return { errors };
  const variables = Object.fromEntries(filled.map((r) => [r.name.trim(), r.value]));
  const whole = variablesSchema.safeParse(variables);
  if (!whole.success) return { errors, formError: whole.error.issues[0]?.message };
  return { errors, variables };
}

export function sameVariables(a: Record<string, string>, b: Record<string, string>): boolean {
  const ak = Object.keys(a);
  return ak.length === Object.keys(b).length && ak.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}
