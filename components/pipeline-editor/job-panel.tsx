"use client";

import { parse, stringify } from "yaml";
import type { JobField } from "@/server/pipeline/document";
import { DraftField } from "./draft-field";
import styles from "./editor.module.css";
import { envToText, textToEnv, type JobValues } from "./job-values";
import type { StepData } from "./step-templates";
import { StepsEditor } from "./steps-editor";

type Props = {
  jobId: string;
  values: JobValues;
  /** Each returns why the value was refused, or undefined when it went into the document. */
  onField: (field: JobField, value: unknown) => string | undefined;
  onRename: (newId: string) => string | undefined;
  onDelete: () => void;
  onClose: () => void;
};

const text = (value: unknown) => (value === undefined || value === null ? "" : typeof value === "object" ? "" : String(value));
const orUndefined = (value: string) => (value.trim() === "" ? undefined : value);

/** The side panel: every setting of one job; each change goes into the YAML as it is typed. */
export function JobPanel({ jobId, values, onField, onRename, onDelete, onClose }: Props) {
  const runsOn = Array.isArray(values["runs-on"]) ? values["runs-on"].join(", ") : text(values["runs-on"]);
  const environment = values.environment && typeof values.environment === "object" ? text((values.environment as { name?: unknown }).name) : text(values.environment);
  const matrix = (values.strategy as { matrix?: unknown } | undefined)?.matrix;
  const matrixText = matrix === undefined ? "" : typeof matrix === "string" ? matrix : stringify(matrix, { flowCollectionPadding: false }).trimEnd();
  const steps = (Array.isArray(values.steps) ? values.steps : []).filter((s): s is StepData => !!s && typeof s === "object");

  return (
    <section className={styles.panel} aria-label={`Job ${jobId}`}>
      <div className="spread">
        <h2 style={{ margin: 0 }}>Job {jobId}</h2>
        <button type="button" onClick={onClose} aria-label="Close the job panel">
          Close
        </button>
      </div>
      <DraftField label="Job id" hint="Renaming updates every needs that names it." value={jobId} commitOn="blur" onCommit={(v) => onRename(v.trim())} mono />
      <DraftField label="Display name" value={text(values.name)} onCommit={(v) => onField("name", orUndefined(v))} />
      <DraftField label="Image" placeholder="node:22" value={text(values.image)} onCommit={(v) => onField("image", orUndefined(v))} mono />
      <DraftField
        label="Runs on"
        hint="Worker pool labels, separated by commas."
        value={runsOn}
        same={(a, b) => labels(a).join() === labels(b).join()}
        onCommit={(v) => {
          const list = labels(v);
          return onField("runs-on", list.length === 0 ? undefined : list.length === 1 ? list[0] : list);
        }}
      />
      <DraftField label="Run if" placeholder="${{ run.branch == 'main' }}" value={text(values.if)} onCommit={(v) => onField("if", orUndefined(v))} mono />
      <DraftField
        label="Timeout (minutes)"
        value={text(values["timeout-minutes"])}
        onCommit={(v) => onField("timeout-minutes", v.trim() === "" ? undefined : /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v)}
      />
      <DraftField
        label="Environment"
        hint="For deploy jobs: where this job deploys to."
        value={environment}
        onCommit={(v) => {
          // `environment: { name, url }` keeps its url when only the name changes.
          const current = values.environment;
          const named = current && typeof current === "object" && v.trim() ? { ...(current as object), name: v } : orUndefined(v);
          return onField("environment", named);
        }}
      />
      <DraftField
        label="Environment variables"
        hint="One KEY=value per line."
        multiline
        mono
        value={envToText(values.env)}
        same={(a, b) => envToText(textToEnv(a).value) === b}
        onCommit={(v) => {
          const env = textToEnv(v);
          return env.error ?? onField("env", env.value);
        }}
      />
      <DraftField
        label="Matrix"
        hint="YAML, e.g. node: [20, 22]"
        multiline
        mono
        value={matrixText}
        same={(a, b) => sameYaml(a, b)}
        onCommit={(v) => {
          if (v.trim() === "") return onField("strategy.matrix", undefined);
          try {
            const value = parse(v);
            if (!value || typeof value !== "object" || Array.isArray(value)) return "Write the matrix as a mapping of axes to lists.";
            return onField("strategy.matrix", value);
          } catch (error) {
            return (error as Error).message.split("\n")[0];
          }
        }}
      />
      <h3 className={styles.subhead}>Steps</h3>
      <StepsEditor jobId={jobId} steps={steps} onChange={(next) => onField("steps", next)} />
      <div>
        <button type="button" className="danger" onClick={onDelete}>
          Delete job
        </button>
      </div>
    </section>
  );
}

function labels(value: string): string[] {
  return value
    .split(",")
    .map((l) => l.trim())
    .filter(Boolean);
}

function sameYaml(a: string, b: string): boolean {
  try {
    return JSON.stringify(parse(a)) === JSON.stringify(parse(b));
  } catch {
    return false;
  }
}
