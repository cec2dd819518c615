"use client";

import { useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { readableMessage } from "@/components/ui/field-errors";

/** Archive hides the project from lists and keeps everything; unarchive brings it back. */
export function ArchiveProject({ project }: { project: ProjectWithRole }) {
  const utils = trpc.useUtils();
  const [open, setOpen] = useState(false);
  const archived = Boolean(project.archivedAt);
  const options = {
    onSuccess: async () => {
      setOpen(false);
      await Promise.all([utils.projects.get.invalidate(), utils.projects.list.invalidate()]);
    },
  };
  const archive = trpc.projects.archive.useMutation(options);
  const unarchive = trpc.projects.unarchive.useMutation(options);
  const mutation = archived ? unarchive : archive;
  const verb = archived ? "Unarchive" : "Archive";

  function close() {
    setOpen(false);
    archive.reset();
    unarchive.reset();
  }

  return (
    <section className="card stack" aria-labelledby="archive-title">
      <h2 id="archive-title" style={{ margin: 0 }}>
        {archived ? "Archived" : "Archive"}
      </h2>
      <p className="muted small" style={{ margin: 0 }}>
        {archived
          ? "This project is hidden from the project list. Unarchiving shows it again; nothing was deleted."
          : "Archiving hides the project from the project list. All its environments, members and history are kept, and it can be unarchived."}
      </p>
      <div>
        <button type="button" className={archived ? "" : "danger"} onClick={() => setOpen(true)}>
          {verb} project…
        </button>
      </div>
      <ConfirmDialog
        open={open}
        title={`${verb} “${project.name}”?`}
        confirmLabel={`${verb} project`}
        danger={!archived}
        pending={mutation.isPending}
        error={mutation.error ? readableMessage(mutation.error) : null}
        onCancel={close}
        onConfirm={() => mutation.mutate({ projectId: project.id })}
      >
        <p style={{ margin: 0 }}>
          {archived
            ? `${project.name} will show in the project list again.`
            : `${project.name} will be hidden from the project list (use “Show archived” to find it). Its data is kept.`}
        </p>
      </ConfirmDialog>
    </section>
  );
}
