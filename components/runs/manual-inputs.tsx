"use client";

import type { InputDefinition } from "@/server/pipeline/model";
import { FieldError, SelectField, TextField } from "@/components/ui/form-controls";
import styles from "./runs.module.css";

export type InputValues = Record<string, string | boolean>;

/** What each input starts as: its default, or empty (false for a boolean). */
export function initialValues(definitions: Record<string, InputDefinition>): InputValues {
  return Object.fromEntries(
    Object.entries(definitions).map(([name, d]) => [name, d.type === "boolean" ? d.default === true : d.default === undefined ? "" : String(d.default)]),
  );
}

/** The values as the API takes them: numbers as numbers, and empty fields left out so defaults and "required" apply. */
export function inputsToSend(definitions: Record<string, InputDefinition>, values: InputValues): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [name, d] of Object.entries(definitions)) {
    const value = values[name];
    if (typeof value === "boolean") out[name] = value;
    else if (value === "" || value === undefined) continue;
    else if (d.type === "number" && value.trim() !== "" && Number.isFinite(Number(value))) out[name] = Number(value);
    else out[name] = value;
  }
  return out;
}

type Props = {
  definitions: Record<string, InputDefinition>;
  values: InputValues;
  onChange: (name: string, value: string | boolean) => void;
  errorFor: (field: string) => string | undefined;
};

/** One field per typed manual input of the pipeline (on.manual.inputs). */
export function ManualInputs({ definitions, values, onChange, errorFor }: Props) {
  return (
    <>
      {Object.entries(definitions).map(([name, d]) => {
        const label = `${name}${d.required ? " (required)" : ""}`;
        const error = errorFor(`inputs.${name}`);
        if (d.type === "boolean") {
          return (
            <div key={name}>
              <label className={styles.checkbox}>
                <input
                  type="checkbox"
                  name={`inputs.${name}`}
                  checked={values[name] === true}
                  onChange={(e) => onChange(name, e.target.checked)}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? `input-${name}-error` : undefined}
                />
                {name}
              </label>
              {d.description && <span className="muted small">{d.description}</span>}
              <FieldError id={`input-${name}-error`} message={error} />
            </div>
          );
        }
        if (d.type === "choice") {
          // An empty choice unless a default fills it: a required input must not look chosen when it is not.
          const empty = !d.required ? [{ value: "", label: "(none)" }] : d.default === undefined ? [{ value: "", label: "Choose…" }] : [];
          const options = empty.concat((d.options ?? []).map((o) => ({ value: o, label: o })));
          return (
            <SelectField key={name} label={label} hint={d.description} name={`inputs.${name}`} value={String(values[name] ?? "")} onChange={(e) => onChange(name, e.target.value)} options={options} error={error} />
          );
        }
        return (
          <TextField
            key={name}
            label={label}
            hint={d.description}
            name={`inputs.${name}`}
            type={d.type === "number" ? "number" : "text"}
            inputMode={d.type === "number" ? "decimal" : undefined}
            step={d.type === "number" ? "any" : undefined}
            value={String(values[name] ?? "")}
            onChange={(e) => onChange(name, e.target.value)}
            error={error}
            autoComplete="off"
          />
        );
      })}
    </>
  );
}
