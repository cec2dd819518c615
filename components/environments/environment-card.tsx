import Link from "next/link";
import type { EnvironmentRow } from "@/components/ui/api-types";
import { plural } from "@/components/ui/format";
import styles from "./environments.module.css";

type Props = {
  environment: EnvironmentRow;
  projectSlug: string;
  /** Present for people who may manage environments; absent for everyone else. */
  controls?: { isFirst: boolean; isLast: boolean; busy: boolean; onMove: (delta: -1 | 1) => void };
};

export function EnvironmentCard({ environment: env, projectSlug, controls }: Props) {
  const variableCount = Object.keys(env.variables).length;
  return (
    <div className={`card ${styles.card}`}>
      <h3>{env.name}</h3>
      <p className={env.description ? undefined : "muted"}>{env.description || "No description."}</p>
      <p className="small muted">{plural(variableCount, "variable")}</p>
      {controls && (
        <div className={styles.controls}>
          <button type="button" aria-label={`Move ${env.name} earlier`} disabled={controls.isFirst || controls.busy} onClick={() => controls.onMove(-1)}>
            ← Earlier
          </button>
          <button type="button" aria-label={`Move ${env.name} later`} disabled={controls.isLast || controls.busy} onClick={() => controls.onMove(1)}>
            Later →
          </button>
          <Link className="button" href={`/projects/${projectSlug}/environments/${env.id}`} aria-label={`Settings of ${env.name}`}>
            Settings
          </Link>
        </div>
      )}
    </div>
  );
}
