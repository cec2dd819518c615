"use client";

import { useRef, useState } from "react";
import { DiagnosticsList } from "./diagnostics-list";
import { SaveRevision } from "./save-revision";
import { useValidation } from "./use-validation";
import { moveCaret, YamlEditor } from "./yaml-editor";

type Props = {
  projectId: string;
  /** The YAML the editor starts from. */
  initial: string;
  /** The revision `initial` is, 0 for none: a save over a newer one is refused, so no one's edit is lost. */
  baseNumber: number;
  editable: boolean;
  label: string;
};

/** The pipeline as YAML: checked as you type, saved as a new revision with a message. */
export function PipelineEditor({ projectId, initial, baseNumber, editable, label }: Props) {
  const [yaml, setYaml] = useState(initial);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const { diagnostics, checking } = useValidation(projectId, yaml, yaml.trim() !== "");
  const dirty = yaml !== initial;
  return (
    <div className="stack">
      <YamlEditor value={yaml} onChange={setYaml} readOnly={!editable} textareaRef={textarea} diagnostics={diagnostics} label={label} />
      {yaml.trim() === "" ? (
        <p className="muted small" style={{ margin: 0 }}>
          The pipeline is empty.
        </p>
      ) : (
        <DiagnosticsList diagnostics={diagnostics} checking={checking} onGoTo={(d) => textarea.current && moveCaret(textarea.current, d.line, d.column)} />
      )}
      {editable && (
        <SaveRevision
          projectId={projectId}
          yaml={yaml}
          baseNumber={baseNumber}
          dirty={dirty}
          hasErrors={Boolean(diagnostics?.some((d) => d.severity === "error"))}
          onDiscard={() => setYaml(initial)}
        />
      )}
    </div>
  );
}
