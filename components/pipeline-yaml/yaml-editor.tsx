"use client";

import { useMemo, useRef, type KeyboardEvent, type RefObject } from "react";
import type { Diagnostic } from "@/server/pipeline/diagnostics";
import styles from "./pipeline-yaml.module.css";

const LINE_PX = 20;

type Props = {
  value: string;
  onChange: (value: string) => void;
  readOnly: boolean;
  textareaRef: RefObject<HTMLTextAreaElement | null>;
  diagnostics: Diagnostic[] | null;
  label: string;
};

/**
 * A plain <textarea> with line numbers: no code editor library is installed,
 * and a textarea keeps the browser's own undo, selection, IME and
 * accessibility. Tab indents by two spaces; Escape then Tab leaves the editor.
 */
export function YamlEditor({ value, onChange, readOnly, textareaRef, diagnostics, label }: Props) {
  const gutter = useRef<HTMLDivElement>(null);
  const escaped = useRef(false);
  const lineCount = useMemo(() => value.split("\n").length, [value]);
  const numbers = useMemo(() => Array.from({ length: lineCount }, (_, i) => i + 1).join("\n"), [lineCount]);
  const marked = useMemo(() => {
    const byLine = new Map<number, Diagnostic["severity"]>();
    for (const d of diagnostics ?? []) if (byLine.get(d.line) !== "error") byLine.set(d.line, d.severity);
    return [...byLine];
  }, [diagnostics]);

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Escape") escaped.current = true;
    if (event.key !== "Tab" || readOnly || event.shiftKey || escaped.current) {
      if (event.key !== "Escape") escaped.current = false;
      return;
    }
    event.preventDefault();
    // insertText keeps the browser's undo history; setRangeText is the fallback where it is gone.
    if (!document.execCommand?.("insertText", false, "  ")) {
      const el = event.currentTarget;
      el.setRangeText("  ", el.selectionStart, el.selectionEnd, "end");
      onChange(el.value);
    }
  };

  return (
    // As tall as the file up to most of the screen, so a short pipeline leaves no empty box.
    <div className={styles.editor} style={{ height: `clamp(220px, ${lineCount * LINE_PX + 40}px, 70vh)` }}>
      <div className={styles.gutter} ref={gutter} aria-hidden="true">
        <div className={styles.gutterInner}>
          {marked.map(([line, severity]) => (
            <span key={line} className={`${styles.marker} ${severity === "warning" ? styles.warning : ""}`} style={{ top: (line - 1) * LINE_PX }} />
          ))}
          <pre style={{ margin: 0, font: "inherit", position: "relative" }}>{numbers}</pre>
        </div>
      </div>
      <textarea
        ref={textareaRef}
        className={styles.text}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        onScroll={(e) => {
          if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
        }}
        readOnly={readOnly}
        aria-label={label}
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        autoCorrect="off"
        wrap="off"
      />
    </div>
  );
}

/** Puts the caret at a 1-based line and column and scrolls that line to the middle. */
export function moveCaret(textarea: HTMLTextAreaElement, line: number, column: number) {
  const lines = textarea.value.split("\n");
  const row = Math.min(Math.max(1, line), lines.length);
  let offset = 0;
  for (let i = 0; i < row - 1; i++) offset += lines[i].length + 1;
  offset += Math.min(Math.max(0, column - 1), lines[row - 1].length);
  textarea.focus();
  textarea.setSelectionRange(offset, offset);
  textarea.scrollTop = Math.max(0, (row - 1) * LINE_PX - textarea.clientHeight / 2);
}
