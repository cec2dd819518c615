"use client";

import { useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import { readableMessage } from "@/components/ui/field-errors";
import { FormError, TextField } from "@/components/ui/form-controls";
import { Loading, QueryError } from "@/components/ui/query-state";

/** The project's approver groups ("qa", "release-managers"), which approval stages can name. */
export function ApproverGroupsSection({ projectId, canEdit }: { projectId: string; canEdit: boolean }) {
  const utils = trpc.useUtils();
  const groups = trpc.governance.groups.useQuery({ projectId });
  const members = trpc.members.list.useQuery({ projectId });
  const [name, setName] = useState("");
  const [userIds, setUserIds] = useState<string[]>([]);
  const save = trpc.governance.setGroup.useMutation({
    onSuccess: async () => {
      setName("");
      setUserIds([]);
      await utils.governance.groups.invalidate({ projectId });
    },
  });
  if (groups.isPending || members.isPending) return <Loading label="Loading approver groups…" />;
  if (groups.isError) return <QueryError error={groups.error} title="The approver groups could not be loaded." />;
  if (members.isError) return <QueryError error={members.error} title="The members could not be loaded." />;

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ projectId, name, userIds });
  }
  return (
    <section className="card stack" aria-labelledby="approver-groups">
      <h3 id="approver-groups" style={{ margin: 0 }}>
        Approver groups
      </h3>
      <p className="small muted" style={{ margin: 0 }}>
        Groups of this project&apos;s members that approval stages can name. Saving a group with no members deletes it.
      </p>
      {groups.data.length === 0 ? (
        <p className="small muted" style={{ margin: 0 }}>
          No groups yet.
        </p>
      ) : (
        <ul style={{ margin: 0 }}>
          {groups.data.map((g) => (
            <li key={g.id}>
              <strong>{g.name}</strong>: {g.members.map((m) => m.email).join(", ")}{" "}
              {canEdit && (
                <button
                  type="button"
                  onClick={() => {
                    setName(g.name);
                    setUserIds(g.members.map((m) => m.userId));
                  }}
                >
                  Edit
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canEdit && (
        <form className="stack" onSubmit={submit} aria-label="Save an approver group">
          <TextField label="Group name" value={name} onChange={(e) => setName(e.target.value)} />
          <label className="field">
            <span>Members</span>
            <select multiple value={userIds} onChange={(e) => setUserIds([...e.target.selectedOptions].map((o) => o.value))} size={Math.min(6, Math.max(2, members.data.length))}>
              {members.data.map((m) => (
                <option key={m.userId} value={m.userId}>
                  {m.name} ({m.email})
                </option>
              ))}
            </select>
          </label>
          <div>
            <button type="submit" disabled={save.isPending || !name.trim()}>
              Save group
            </button>
          </div>
          <FormError message={save.error ? readableMessage(save.error) : null} />
        </form>
      )}
    </section>
  );
}
