"use client";

import { useId, useState } from "react";
import { trpc } from "@/components/providers/trpc";
import type { MemberRow, ProjectWithRole } from "@/components/ui/api-types";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { readableMessage } from "@/components/ui/field-errors";
import { FieldError } from "@/components/ui/form-controls";
import { roleOptions } from "@/components/ui/role";
import type { ProjectRole } from "@/server/schemas/project";

type Props = { project: ProjectWithRole; member: MemberRow; isMe: boolean; canManage: boolean };

export function MemberRowView({ project, member, isMe, canManage }: Props) {
  const utils = trpc.useUtils();
  const errorId = useId();
  const [confirming, setConfirming] = useState(false);
  const refresh = () => Promise.all([utils.members.list.invalidate({ projectId: project.id }), utils.projects.get.invalidate()]);
  const updateRole = trpc.members.updateRole.useMutation({ onSuccess: refresh });
  const remove = trpc.members.remove.useMutation({
    onSuccess: async () => {
      setConfirming(false);
      await Promise.all([refresh(), utils.projects.list.invalidate()]);
    },
  });
  const roleError = updateRole.error ? readableMessage(updateRole.error) : undefined;
  const who = member.name || member.email;

  return (
    <tr>
      <td>
        {member.name}
        {isMe && <span className="muted"> (you)</span>}
      </td>
      <td>{member.email}</td>
      <td>
        {canManage ? (
          <div className="stack" style={{ gap: "0.25rem", alignItems: "flex-start" }}>
            <select
              aria-label={`Role of ${who}`}
              value={member.role}
              disabled={updateRole.isPending}
              aria-invalid={roleError ? true : undefined}
              aria-describedby={roleError ? errorId : undefined}
              onChange={(e) => updateRole.mutate({ projectId: project.id, userId: member.userId, role: e.target.value as ProjectRole })}
            >
              {roleOptions.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
            <FieldError id={errorId} message={roleError} />
          </div>
        ) : (
          <span className="badge">{member.role}</span>
        )}
      </td>
      {canManage && (
        <td>
          <button type="button" className="danger" onClick={() => setConfirming(true)} aria-label={`Remove ${who}`}>
            Remove
          </button>
          <ConfirmDialog
            open={confirming}
            title={`Remove ${who} from ${project.name}?`}
            confirmLabel="Remove member"
            pendingLabel="Removing…"
            danger
            pending={remove.isPending}
            error={remove.error ? readableMessage(remove.error) : null}
            onCancel={() => (setConfirming(false), remove.reset())}
            onConfirm={() => remove.mutate({ projectId: project.id, userId: member.userId })}
          >
            <p style={{ margin: 0 }}>
              {member.email} ({member.role}) will lose access to this project{isMe ? ", and so will you" : ""}. They can be added again later.
            </p>
          </ConfirmDialog>
        </td>
      )}
    </tr>
  );
}
