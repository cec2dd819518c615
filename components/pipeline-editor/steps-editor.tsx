"use client";

import { useState } from "react";
import { FormError } from "@/components/ui/form-controls";
import { CodeArea } from "./code-area";
import { DraftField } from "./draft-field";
import styles from "./editor.module.css";
import { BUILTIN_STEPS, STEP_TEMPLATES, templateStep, textToWith, withToText, type StepData, type StepTemplate } from "./step-templates";

type Props = {
  jobId: string;
  steps: StepData[];
  /** Returns why the steps were refused, or undefined when they went into the document. */
  onChange: (steps: StepData[]) => string | undefined;
};

/** A job's steps, one card each: a script in a code field, or a built-in with its settings. */
export function StepsEditor({ jobId, steps, onChange }: Props) {
  const [error, setError] = useState<string>();
  const [adding, setAdding] = useState<StepTemplate>("run");
  const change = (next: StepData[]) => {
    const problem = onChange(next);
    setError(problem);
    return problem;
  };
  const update = (index: number, step: StepData) => change(steps.map((s, i) => (i === index ? step : s)));
  const move = (index: number, by: number) => {
    const next = steps.slice();
    [next[index], next[index + by]] = [next[index + by], next[index]];
    change(next);
  };

  return (
    <div className="stack" style={{ gap: "0.5rem" }}>
      <FormError message={error} />
      {steps.map((step, index) => {
        const uses = typeof step.uses === "string" ? step.uses : null;
        const label = `Step ${index + 1}`;
        return (
          <fieldset key={index} className={styles.step} aria-label={label}>
            <legend className="small muted">{label}</legend>
            <div className="row" style={{ gap: "0.35rem", flexWrap: "nowrap" }}>
              <input
                aria-label={`${label} name`}
                placeholder="Name (optional)"
                value={typeof step.name === "string" ? step.name : ""}
                onChange={(e) => update(index, withName(step, e.target.value))}
                style={{ flex: 1, minWidth: 0 }}
              />
              <select aria-label={`${label} kind`} value={uses ?? "run"} onChange={(e) => update(index, { ...(step.name ? { name: step.name } : {}), ...templateStep(e.target.value as StepTemplate) })}>
                <option value="run">run</option>
                {BUILTIN_STEPS.map((b) => (
                  <option key={b} value={b}>
                    uses: {b}
                  </option>
                ))}
              </select>
              <button type="button" className={styles.iconButton} aria-label={`Move ${label} up`} disabled={index === 0} onClick={() => move(index, -1)}>
                ↑
              </button>
              <button type="button" className={styles.iconButton} aria-label={`Move ${label} down`} disabled={index === steps.length - 1} onClick={() => move(index, 1)}>
                ↓
              </button>
              <button type="button" className={styles.iconButton} aria-label={`Remove ${label}`} onClick={() => change(steps.filter((_, i) => i !== index))}>
                ✕
              </button>
            </div>
            {uses === null ? (
              <CodeArea aria-label={`${label} script`} value={typeof step.run === "string" ? step.run : ""} onChange={(run) => update(index, { ...step, run })} />
            ) : (
              <DraftField
                key={`${jobId}-${index}-${uses}`}
                label="with"
                hint="One key=value per line."
                multiline
                mono
                value={withToText(step.with)}
                same={(draft, value) => withToText(textToWith(draft).value) === value}
                onCommit={(text) => {
                  const parsed = textToWith(text);
                  if (parsed.error) return parsed.error;
                  const { with: _old, ...rest } = step;
                  return change(steps.map((s, i) => (i === index ? (parsed.value ? { ...rest, with: parsed.value } : rest) : s)));
                }}
              />
            )}
          </fieldset>
        );
      })}
      <div className="row" style={{ gap: "0.35rem" }}>
        <select aria-label="Kind of step to add" value={adding} onChange={(e) => setAdding(e.target.value as StepTemplate)}>
          {Object.entries(STEP_TEMPLATES).map(([key, t]) => (
            <option key={key} value={key}>
              {t.label}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => change([...steps, templateStep(adding)])}>
          Add step
        </button>
      </div>
    </div>
  );
}

function withName(step: StepData, name: string): StepData {
  const { name: _old, ...rest } = step;
  // Name first, the way steps are usually written.
  return name ? { name, ...rest } : rest;
}
