"use client";

import { useRouter } from "next/navigation";
import { useCallback, useMemo, useRef, useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { PipelineGraph } from "@/server/pipeline/document";
import type { Diagnostic } from "@/server/pipeline/diagnostics";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { readableMessage } from "@/components/ui/field-errors";
import { hasRole } from "@/components/ui/role";
import { prunePositions } from "./doc-store";
import { EditorToolbar } from "./editor-toolbar";
import styles from "./editor.module.css";
import type { Positions } from "./history";
import { JobPanel } from "./job-panel";
import { jobValues } from "./job-values";
import { Palette } from "./palette";
import { PipelineCanvas, type CanvasActions } from "./pipeline-canvas";
import { ProblemsList } from "./problems-list";
import { RevisionsPanel, type SavedRevision } from "./revisions-panel";
import { useEditorActions } from "./use-editor-actions";
import { useNotice, useUndoKeys } from "./use-notice";
import { usePipelineDoc } from "./use-pipeline-doc";
import { useUnsavedGuard } from "./use-unsaved-guard";
import { YamlPane, type YamlPaneHandle } from "./yaml-pane";

/** `diagnostics` and `graph`, when given, are the server's reading of `yaml`: the browser need not read it again to open. */
export type EditorInitial = { yaml: string; positions: Positions; revisionNumber: number | null; diagnostics?: Diagnostic[]; graph?: PipelineGraph };

/** The visual editor: palette, graph, job panel and YAML side by side over one document. */
export function PipelineEditor({ project, initial, readOnly }: { project: ProjectWithRole; initial: EditorInitial; readOnly: boolean }) {
  const doc = usePipelineDoc({ yaml: initial.yaml, positions: initial.positions }, initial.diagnostics, initial.graph);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [panelOpen, setPanelOpen] = useState(false);
  const [revisionsOpen, setRevisionsOpen] = useState(false);
  const [savedNumber, setSavedNumber] = useState(initial.revisionNumber);
  const [notice, notify, dismiss] = useNotice();
  const yamlPane = useRef<YamlPaneHandle>(null);
  const select = useCallback((id: string | null, open = false) => {
    setSelectedId(id);
    if (open) setPanelOpen(true);
  }, []);
  const actions = useEditorActions(doc, notify, select);
  useUnsavedGuard(doc.dirty && !readOnly);
  useUndoKeys(!readOnly, actions.undo, actions.redo);

  // An undo can take the selected job away; the selection then simply lapses.
  const selected = selectedId && doc.graph.jobs.some((j) => j.id === selectedId) ? selectedId : null;
  const values = useMemo(() => (selected && panelOpen && !readOnly ? jobValues(doc.snapshot.yaml, selected) : null), [selected, panelOpen, readOnly, doc.snapshot.yaml]);
  const jumpToJob = useCallback((id: string) => {
    const line = doc.graph.jobs.find((j) => j.id === id)?.line;
    if (line) yamlPane.current?.jumpTo(line);
  }, [doc.graph.jobs]);
  const canvasActions: CanvasActions = useMemo(
    () => ({
      onSelect: (id) => select(id),
      onOpen: (id) => (readOnly ? jumpToJob(id) : select(id, true)),
      onMove: actions.move,
      onConnect: actions.connect,
      onDisconnect: actions.disconnect,
      onDelete: actions.deleteJob,
    }),
    [actions, select, readOnly, jumpToJob],
  );

  const utils = trpc.useUtils();
  const router = useRouter();
  const save = trpc.pipelines.save.useMutation();
  const start = trpc.runs.start.useMutation({
    onSuccess: (run) => router.push(`/projects/${project.slug}/runs/${run.id}/graph`),
    onError: (error) => notify(readableMessage(error), "error"),
  });
  const onSave = (message: string) => {
    const snap = doc.store.snapshot;
    const positions = prunePositions(snap.positions, doc.graph.jobs.map((j) => j.id));
    save.mutate(
      { projectId: project.id, yaml: snap.yaml, message, positions, baseNumber: savedNumber ?? 0 },
      {
        onSuccess: (revision) => {
          doc.store.markSaved(snap);
          setSavedNumber(revision.number);
          notify(`Saved revision ${revision.number}.`, "ok");
          void utils.pipelines.revisions.invalidate();
          void utils.pipelines.get.invalidate();
        },
        onError: (error) => notify(readableMessage(error), "error"),
      },
    );
  };
  const onRestored = (revision: SavedRevision) => {
    doc.store.reset({ yaml: revision.yaml, positions: revision.positions });
    setSavedNumber(revision.number);
    notify(`${revision.message}: saved as revision ${revision.number}.`, "ok");
    void utils.pipelines.revisions.invalidate();
  };

  return (
    <div className={`${styles.editor} ${readOnly ? styles.readOnly : ""}`} data-testid="pipeline-editor">
      <EditorToolbar
        readOnly={readOnly}
        dirty={doc.dirty && !readOnly}
        canUndo={doc.canUndo && !readOnly}
        canRedo={doc.canRedo && !readOnly}
        onUndo={actions.undo}
        onRedo={actions.redo}
        onSave={!readOnly && hasRole(project.role, "maintainer") ? onSave : undefined}
        saving={save.isPending}
        savedNumber={readOnly ? null : savedNumber}
        onRun={!readOnly && hasRole(project.role, "developer") ? () => start.mutate({ projectId: project.id }) : undefined}
        running={start.isPending}
        revisionsOpen={revisionsOpen}
        onToggleRevisions={() => setRevisionsOpen((open) => !open)}
      />
      {revisionsOpen && (
        <div className={styles.revisionsRow}>
          <RevisionsPanel projectId={project.id} canRestore={!readOnly && hasRole(project.role, "maintainer")} dirty={doc.dirty} onRestored={onRestored} />
        </div>
      )}
      {!readOnly && <Palette actions={actions} selectedId={selected} />}
      <div className={styles.canvas}>
        {notice && (
          <div className={`notice ${notice.kind === "error" ? "error" : "ok"} ${styles.toast}`} role={notice.kind === "error" ? "alert" : "status"}>
            <span>{notice.message}</span>
            <button type="button" className={styles.iconButton} onClick={dismiss} aria-label="Dismiss">
              ✕
            </button>
          </div>
        )}
        <PipelineCanvas graph={doc.graph} positions={doc.snapshot.positions} diagnostics={doc.diagnostics} selectedId={selected} readOnly={readOnly} actions={canvasActions} />
      </div>
      <div className={styles.side}>
        {selected && values && (
          <JobPanel
            key={selected}
            jobId={selected}
            values={values}
            onField={(field, value) => actions.setField(selected, field, value)}
            onRename={(newId) => actions.rename(selected, newId)}
            onDelete={() => actions.deleteJob(selected)}
            onClose={() => setPanelOpen(false)}
          />
        )}
        <YamlPane ref={yamlPane} yaml={doc.snapshot.yaml} readOnly={readOnly} error={doc.parseError} onChange={actions.typeYaml} />
      </div>
      <div className={styles.problemsRow}>
        <ProblemsList
          diagnostics={doc.diagnostics}
          parseError={doc.parseError}
          onJump={(line, jobId) => {
            if (jobId) select(jobId);
            yamlPane.current?.jumpTo(line);
          }}
        />
      </div>
    </div>
  );
}
