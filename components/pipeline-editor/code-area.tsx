"use client";

import { useMemo, useState, type TextareaHTMLAttributes } from "react";
import styles from "./editor.module.css";
import { shellTokens } from "./shell-tokens";

type Props = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "value" | "onChange"> & { value: string; onChange: (value: string) => void };

/**
 * A shell script field: a plain textarea (so typing, selection and the
 * browser's own editing keys all work) over a coloured copy of its text.
 */
export function CodeArea({ value, onChange, ...rest }: Props) {
  const tokens = useMemo(() => shellTokens(value), [value]);
  const [scroll, setScroll] = useState({ top: 0, left: 0 });
  return (
    <div className={styles.codeArea}>
      <pre className={styles.codeColours} aria-hidden style={{ transform: `translate(${-scroll.left}px, ${-scroll.top}px)` }}>
        {tokens.map((t, i) => (t.kind === "plain" ? t.text : <span key={i} className={styles[`sh-${t.kind}`]}>{t.text}</span>))}
        {/* A trailing newline needs a character after it to take up its line. */}
        {"\n "}
      </pre>
      <textarea
        {...rest}
        className={styles.codeInput}
        value={value}
        spellCheck={false}
        wrap="off"
        rows={Math.min(12, Math.max(3, value.split("\n").length + 1))}
        onChange={(e) => onChange(e.target.value)}
        onScroll={(e) => setScroll({ top: e.currentTarget.scrollTop, left: e.currentTarget.scrollLeft })}
      />
    </div>
  );
}
