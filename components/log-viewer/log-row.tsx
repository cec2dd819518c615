import { memo, type CSSProperties, type ReactNode } from "react";
import { parseAnsi, stripAnsi, type AnsiStyle } from "./ansi";
import styles from "./log-viewer.module.css";

type Props = {
  index: number;
  text: string;
  at: number;
  top: number;
  showTime: boolean;
  /** The line a #L link points at. */
  linked: boolean;
  /** The search match the person moved to. */
  current: boolean;
  /** A search pattern to mark inside the line, or null. */
  pattern: RegExp | null;
};

// The engine writes these before each step and each post step (workers/engine/run-job.ts).
const STEP = /^##\[step (\d+)\] (.*)$/;
const POST = /^##\[post\] (.*)$/;

export const LogRow = memo(function LogRow({ index, text, at, top, showTime, linked, current, pattern }: Props) {
  const n = index + 1;
  const step = STEP.exec(text);
  const post = step ? null : POST.exec(text);
  const className = [styles.row, step || post ? styles.section : "", linked ? styles.linked : "", current ? styles.current : ""].join(" ");
  return (
    <div className={className} style={{ transform: `translateY(${top}px)` }} data-line={n}>
      <a className={styles.number} href={`#L${n}`} aria-label={`Line ${n}`}>
        {n}
      </a>
      {showTime && <span className={styles.time}>{formatTime(at)}</span>}
      <span className={styles.text}>
        {step ? (
          <>
            <span className={styles.sectionLabel}>Step {step[1]}</span> {mark(stripAnsi(step[2]), pattern)}
          </>
        ) : post ? (
          <>
            <span className={styles.sectionLabel}>Post</span> {mark(stripAnsi(post[1]), pattern)}
          </>
        ) : (
          parseAnsi(text).map((segment, i) => (
            <span key={i} {...presentation(segment.style)}>
              {mark(segment.text, pattern)}
            </span>
          ))
        )}
      </span>
    </div>
  );
});

/** Wraps each match of `pattern` in <mark>. */
function mark(text: string, pattern: RegExp | null): ReactNode {
  if (!pattern || !text) return text;
  const parts: ReactNode[] = [];
  let last = 0;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m && m[0]; m = pattern.exec(text)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(<mark key={m.index}>{m[0]}</mark>);
    last = m.index + m[0].length;
  }
  if (last === 0) return text;
  parts.push(text.slice(last));
  return parts;
}

/** Named colours become classes (the palette lives in the stylesheet); 256-colour and truecolor become inline colours. */
function presentation(style: AnsiStyle): { className?: string; style?: CSSProperties } {
  let { fg, bg } = style;
  const names: string[] = [];
  const css: CSSProperties = {};
  if (style.inverse) {
    [fg, bg] = [bg, fg];
    if (fg === undefined) names.push(styles.inverseFg);
    if (bg === undefined) names.push(styles.inverseBg);
  }
  if (typeof fg === "number") names.push(styles[`fg${fg}`]);
  else if (fg) css.color = fg;
  if (typeof bg === "number") names.push(styles[`bg${bg}`]);
  else if (bg) css.background = bg;
  if (style.bold) names.push(styles.bold);
  if (style.dim) names.push(styles.dim);
  if (style.italic) names.push(styles.italic);
  if (style.underline) names.push(styles.underline);
  if (style.strike) names.push(styles.strike);
  return { className: names.length ? names.join(" ") : undefined, style: css.color || css.background ? css : undefined };
}

function formatTime(at: number): string {
  const d = new Date(at);
  const pad = (v: number, w = 2) => String(v).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
