"use client";

import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { FormError } from "@/components/ui/form-controls";
import { hasRole } from "@/components/ui/role";

type Props = { project: ProjectWithRole; origin: string; yaml: string | null; latestRevision: number; onMoved: () => void };

/** A pipeline read from `.slipway.yml` is changed by a commit: it opens read-only, to copy or download. */
export function RepositoryNotice({ project, origin, yaml, latestRevision, onMoved }: Props) {
  const [copied, setCopied] = useState(false);
  const setSource = trpc.pipelines.setSource.useMutation();
  const save = trpc.pipelines.save.useMutation();
  const [moving, setMoving] = useState(false);
  // The repository's YAML becomes the first revision, so runs go on with the same pipeline and nothing is lost
  // if the person leaves before saving. YAML that does not validate cannot be saved: it stays as the unsaved draft.
  const move = async () => {
    setMoving(true);
    try {
      await setSource.mutateAsync({ projectId: project.id, source: "slipway" });
      if (yaml) await save.mutateAsync({ projectId: project.id, yaml, message: `Moved from ${origin}`, positions: {}, baseNumber: latestRevision }).catch(() => undefined);
      onMoved();
    } catch {
      // setSource's error is shown below.
    } finally {
      setMoving(false);
    }
  };
  const download = yaml ? `data:text/yaml;charset=utf-8,${encodeURIComponent(yaml)}` : undefined;
  return (
    <div className="notice stack" style={{ gap: "0.5rem" }} data-testid="repository-notice">
      <span>
        This pipeline is read from <strong>{origin}</strong>, so it opens read-only here: change it with a commit to the repository.
      </span>
      <div className="row">
        {yaml && (
          <>
            <button
              type="button"
              onClick={() => {
                void navigator.clipboard?.writeText(yaml).then(() => setCopied(true));
              }}
            >
              {copied ? "Copied" : "Copy YAML"}
            </button>
            <a className="button" href={download} download=".slipway.yml">
              Download .slipway.yml
            </a>
          </>
        )}
        {hasRole(project.role, "maintainer") && (
          <button type="button" disabled={moving} onClick={() => void move()}>
            Edit it in Slipway instead
          </button>
        )}
      </div>
      {hasRole(project.role, "maintainer") && (
        <span className="small muted">Editing in Slipway makes runs use the revisions saved here, starting from this YAML; the repository file is then ignored.</span>
      )}
      <FormError message={setSource.error?.message} />
    </div>
  );
}
