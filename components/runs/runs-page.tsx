"use client";

import { useState } from "react";
import { ProjectFrame } from "@/components/projects/project-frame";
import { hasRole } from "@/components/ui/role";
import { RunPipelineDialog } from "./run-pipeline-dialog";
import { RunsTable } from "./runs-table";

export function RunsPage({ slug }: { slug: string }) {
  const [starting, setStarting] = useState(false);
  return (
    <ProjectFrame slug={slug} tab="runs">
      {(project) => (
        <section className="stack" aria-labelledby="runs-title">
          <div className="spread">
            <h2 id="runs-title" style={{ margin: 0 }}>
              Runs
            </h2>
            {hasRole(project.role, "developer") && (
              <button type="button" className="primary" onClick={() => setStarting(true)}>
                Run pipeline
              </button>
            )}
          </div>
          <RunsTable project={project} />
          {starting && <RunPipelineDialog project={project} onClose={() => setStarting(false)} />}
        </section>
      )}
    </ProjectFrame>
  );
}
