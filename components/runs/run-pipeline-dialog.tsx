"use client";

import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { useFieldErrors } from "@/components/ui/field-errors";
import { TextField } from "@/components/ui/form-controls";
import { Loading } from "@/components/ui/query-state";
import { parsePipeline } from "@/server/pipeline/parse";
import { initialValues, inputsToSend, ManualInputs, type InputValues } from "./manual-inputs";

/**
 * Starts a run by hand on a branch, tag or commit, with the pipeline's typed
 * inputs. The inputs are read from the pipeline as it is now (the default
 * branch's file, or the latest revision); the server checks them against the
 * pipeline at the chosen ref and says which field is wrong.
 */
export function RunPipelineDialog({ project, onClose }: { project: ProjectWithRole; onClose: () => void }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const pipeline = trpc.pipelines.get.useQuery({ projectId: project.id });
  const yaml = pipeline.data?.yaml;
  const parsed = useMemo(() => (yaml ? parsePipeline(yaml) : null), [yaml]);
  const manual = parsed?.ok ? parsed.pipeline.on.manual : undefined;
  const definitions = useMemo(() => manual?.inputs ?? {}, [manual]);
  const [ref, setRef] = useState(project.defaultBranch);
  const [edited, setEdited] = useState<InputValues>({});
  const values = { ...initialValues(definitions), ...edited };
  const start = trpc.runs.start.useMutation({
    onSuccess: async (run) => {
      await utils.runs.list.invalidate({ projectId: project.id });
      router.push(`/projects/${project.slug}/runs/${run.number}`);
    },
  });
  const fields = useMemo(() => ["ref", "inputs", ...Object.keys(definitions).map((n) => `inputs.${n}`)], [definitions]);
  const { errorFor, formError } = useFieldErrors(start.error, fields);
  const cannotStart = parsed !== null && parsed.ok && !manual;

  return (
    <ConfirmDialog
      open
      title="Run pipeline"
      confirmLabel="Start run"
      pendingLabel="Starting…"
      pending={start.isPending || start.isSuccess}
      confirmDisabled={pipeline.isPending || cannotStart}
      error={formError}
      onCancel={onClose}
      onConfirm={() => start.mutate({ projectId: project.id, ref: ref.trim() || undefined, inputs: inputsToSend(definitions, values) })}
    >
      <TextField
        label="Branch, tag or commit"
        hint={`Runs the pipeline as it is at this ref. Leave empty for the default branch, ${project.defaultBranch}.`}
        name="ref"
        value={ref}
        onChange={(e) => setRef(e.target.value)}
        error={errorFor("ref")}
        autoComplete="off"
        spellCheck={false}
        autoFocus
      />
      {pipeline.isPending && <Loading label="Reading the pipeline's inputs…" />}
      {pipeline.data && !pipeline.data.yaml && <p className="notice small">No pipeline was found ({pipeline.data.origin}); the run will say what is missing.</p>}
      {parsed && !parsed.ok && <p className="notice error small">The pipeline has errors ({pipeline.data?.origin}); fix them on the Pipeline page first.</p>}
      {cannotStart && (
        <p className="notice error small">
          This pipeline cannot be started by hand: add <code>manual:</code> under <code>on:</code> in its file.
        </p>
      )}
      {Object.keys(definitions).length > 0 && (
        <fieldset className="stack" style={{ border: "none", padding: 0, margin: 0 }}>
          <legend className="small muted" style={{ padding: 0, marginBottom: "0.5rem" }}>
            Inputs, as {pipeline.data?.origin} defines them
          </legend>
          <ManualInputs definitions={definitions} values={values} onChange={(name, value) => setEdited((v) => ({ ...v, [name]: value }))} errorFor={errorFor} />
        </fieldset>
      )}
    </ConfirmDialog>
  );
}
