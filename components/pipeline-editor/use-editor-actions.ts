"use client";

import { useMemo } from "react";
import type { JobField, JobKind } from "@/server/pipeline/document";
import type { Positions } from "./history";
import { jobValues } from "./job-values";
import { templateStep, type StepData, type StepTemplate } from "./step-templates";
import type { PipelineDoc } from "./use-pipeline-doc";

export type Notify = (message: string, kind?: "error" | "ok") => void;

const without = (positions: Positions, id: string) => Object.fromEntries(Object.entries(positions).filter(([key]) => key !== id));

/** Every change the editor makes to the document, each one undoable, each refusal told to the person. */
export function useEditorActions(doc: PipelineDoc, notify: Notify, select: (id: string | null, open?: boolean) => void) {
  const { store } = doc;
  return useMemo(
    () => ({
      addJob(kind: JobKind) {
        const result = store.edit((s) => s.addJob({ id: kind === "deploy" ? "deploy" : "job", kind }));
        if (result.ok) select(result.id, true);
        else notify(result.error.message, "error");
      },
      connect(source: string, target: string) {
        const result = store.edit((s) => s.connect(source, target));
        if (!result.ok) notify(result.error.message, "error");
      },
      disconnect(source: string, target: string) {
        const result = store.edit((s) => s.disconnect(source, target));
        if (result.ok) notify(`"${target}" no longer needs "${source}".`, "ok");
        else notify(result.error.message, "error");
      },
      deleteJob(id: string) {
        const result = store.edit((s) => s.deleteJob(id), { positions: (p) => without(p, id) });
        if (!result.ok) return notify(result.error.message, "error");
        select(null);
        const told = result.dependents.length ? ` ${result.dependents.map((d) => `"${d}"`).join(", ")} no longer ${result.dependents.length === 1 ? "needs" : "need"} it.` : "";
        notify(`Deleted job "${id}".${told}`, "ok");
      },
      rename(oldId: string, newId: string): string | undefined {
        const result = store.edit((s) => s.renameJob(oldId, newId), {
          positions: (p) => (p[oldId] ? { ...without(p, oldId), [newId]: p[oldId] } : p),
        });
        if (!result.ok) return result.error.message;
        select(newId, true);
        return undefined;
      },
      setField(id: string, field: JobField, value: unknown): string | undefined {
        const result = store.edit((s) => s.setJobField(id, field, value), { group: `${id}:${field}` });
        return result.ok ? undefined : result.error.message;
      },
      addStep(id: string, template: StepTemplate) {
        const values = jobValues(store.snapshot.yaml, id);
        const steps = (Array.isArray(values?.steps) ? values.steps : []) as StepData[];
        const result = store.edit((s) => s.setJobSteps(id, [...steps, templateStep(template)]));
        if (!result.ok) notify(result.error.message, "error");
      },
      move: (moved: Positions) => store.move(moved),
      typeYaml: (yaml: string) => store.typeYaml(yaml),
      undo: () => store.dispatch({ type: "undo" }),
      redo: () => store.dispatch({ type: "redo" }),
    }),
    [store, notify, select],
  );
}

export type EditorActions = ReturnType<typeof useEditorActions>;
