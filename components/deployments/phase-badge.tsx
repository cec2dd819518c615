import runStyles from "@/components/runs/runs.module.css";
import { phaseLook } from "./format";

/** A deployment's phase as an icon and a word, so it never rests on colour alone; `data-phase` for tests and styles. */
export function PhaseBadge({ phase, testId }: { phase: string; testId?: string }) {
  const look = phaseLook(phase);
  const tone = look.tone === "warn" ? "running" : look.tone;
  return (
    <span className={`${runStyles.status} ${runStyles[tone]}`} style={look.tone === "warn" ? { color: "var(--warn)" } : undefined} data-phase={phase} data-testid={testId}>
      <span aria-hidden="true" className={["progressing", "pending", "rolling_back"].includes(phase) ? runStyles.pulse : undefined}>
        {look.icon}
      </span>{" "}
      {look.label}
    </span>
  );
}
