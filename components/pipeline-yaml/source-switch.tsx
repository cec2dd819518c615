"use client";

import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { readableMessage } from "@/components/ui/field-errors";
import styles from "./pipeline-yaml.module.css";

type Source = "repository" | "slipway";
type Props = { projectId: string; source: Source; repositoryYaml: string | null; hasRevisions: boolean };

/**
 * Chooses where runs read the pipeline from. Switching to Slipway with no
 * revision yet saves the repository's file as revision 1 first, so runs keep
 * the pipeline they had instead of finding none.
 */
export function SourceSwitch({ projectId, source, repositoryYaml, hasRevisions }: Props) {
  const utils = trpc.useUtils();
  const [target, setTarget] = useState<Source | null>(null);
  const seed = target === "slipway" && !hasRevisions && repositoryYaml !== null;
  const saveSeed = trpc.pipelines.save.useMutation();
  const setSource = trpc.pipelines.setSource.useMutation({
    onSuccess: async () => {
      setTarget(null);
      await Promise.all([utils.pipelines.get.invalidate({ projectId }), utils.pipelines.revisions.invalidate({ projectId })]);
    },
  });
  const error = saveSeed.error ?? setSource.error;

  async function confirm() {
    if (!target) return;
    try {
      if (seed) await saveSeed.mutateAsync({ projectId, yaml: repositoryYaml!, message: "Copied from .slipway.yml", baseNumber: 0 });
      await setSource.mutateAsync({ projectId, source: target });
    } catch {
      // Each mutation keeps its error, which the dialog shows.
    }
  }

  return (
    <>
      <div className={styles.switch} role="group" aria-label="Pipeline source">
        {(["repository", "slipway"] as const).map((s) => (
          <button key={s} type="button" aria-pressed={source === s} onClick={() => s !== source && (saveSeed.reset(), setSource.reset(), setTarget(s))}>
            {s === "repository" ? "Repository file" : "Slipway revisions"}
          </button>
        ))}
      </div>
      <ConfirmDialog
        open={target !== null}
        title={target === "slipway" ? "Read the pipeline from Slipway?" : "Read the pipeline from the repository?"}
        confirmLabel="Switch source"
        pending={saveSeed.isPending || setSource.isPending}
        error={error ? readableMessage(error) : null}
        onConfirm={() => void confirm()}
        onCancel={() => setTarget(null)}
      >
        <p style={{ margin: 0 }}>
          {target === "slipway"
            ? "New runs will use the latest revision saved here, and the repository's .slipway.yml is ignored."
            : "New runs will read .slipway.yml at the commit they run; the revisions saved here are kept."}
          {seed && " There is no revision yet, so the repository's current file is saved as revision 1 to start from."}
        </p>
      </ConfirmDialog>
    </>
  );
}
