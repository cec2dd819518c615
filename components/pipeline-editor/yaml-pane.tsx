"use client";

import { useDeferredValue, useImperativeHandle, useMemo, useRef, useState, type Ref } from "react";
import type { PipelineError } from "@/server/pipeline/document";
import styles from "./editor.module.css";

export type YamlPaneHandle = { jumpTo: (line: number) => void };

/** Every line is this tall (editor.module.css holds the same), so line numbers and the error band line up with the text. */
const LINE_HEIGHT = 20;

type Props = {
  yaml: string;
  readOnly: boolean;
  error: PipelineError | null;
  onChange: (yaml: string) => void;
  ref?: Ref<YamlPaneHandle>;
};

/** The pipeline's YAML, the same document as the graph; a parse error is marked at its line. */
export function YamlPane({ yaml, readOnly, error, onChange, ref }: Props) {
  const area = useRef<HTMLTextAreaElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  // When the editor opens the graph is drawn first; the text, long for a large pipeline, follows a moment later.
  const shown = useDeferredValue(true, false);
  const text = shown ? yaml : "";
  const gutter = useMemo(() => {
    const lineCount = text.split("\n").length;
    return Array.from({ length: lineCount }, (_, i) => i + 1).join("\n");
  }, [text]);
  const [highlight, setHighlight] = useState<number | null>(null);

  useImperativeHandle(ref, () => ({
    jumpTo(line: number) {
      const el = area.current;
      if (!el) return;
      const lines = el.value.split("\n");
      const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
      el.focus({ preventScroll: true });
      el.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
      el.scrollTop = Math.max(0, (line - 4) * LINE_HEIGHT);
      setHighlight(line);
    },
  }));

  const band = (line: number, className: string) => (
    <div className={className} style={{ top: (line - 1) * LINE_HEIGHT - scrollTop + 8 }} aria-hidden />
  );
  return (
    <div className={styles.yamlPane}>
      <div className={styles.yamlBody}>
        <pre className={styles.gutter} aria-hidden style={{ transform: `translateY(${-scrollTop}px)` }}>
          {gutter}
        </pre>
        <div className={styles.yamlText}>
          {error && band(error.line, styles.errorBand)}
          {highlight && !error && band(highlight, styles.jumpBand)}
          <textarea
            ref={area}
            aria-label="Pipeline YAML"
            className={styles.yamlArea}
            value={text}
            readOnly={readOnly || !shown}
            spellCheck={false}
            wrap="off"
            onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
            onChange={(e) => {
              setHighlight(null);
              onChange(e.target.value);
            }}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "yaml-error" : undefined}
          />
        </div>
      </div>
      {error && (
        <p id="yaml-error" className={styles.yamlError} role="alert">
          Line {error.line}, column {error.column}: {error.message} The graph shows the last version that parsed.
        </p>
      )}
    </div>
  );
}
