"use client";

import { trpc } from "@/components/providers/trpc";
import type { ProjectWithRole } from "@/components/ui/api-types";
import { Loading, QueryError } from "@/components/ui/query-state";
import { AddMemberForm } from "./add-member-form";
import { MemberRowView } from "./member-row";

/** Who belongs to the project; admins add people, change roles and remove them. */
export function MembersSection({ project, canManage }: { project: ProjectWithRole; canManage: boolean }) {
  const members = trpc.members.list.useQuery({ projectId: project.id });
  const me = trpc.me.get.useQuery();

  return (
    <section className="card stack" aria-labelledby="members-title">
      <h2 id="members-title" style={{ margin: 0 }}>
        Members
      </h2>
      {members.isPending ? (
        <Loading label="Loading members…" />
      ) : members.isError ? (
        <QueryError error={members.error} title="Members could not be loaded." onRetry={() => void members.refetch()} />
      ) : (
        <table aria-labelledby="members-title">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              {canManage && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <MemberRowView key={m.userId} project={project} member={m} isMe={m.userId === me.data?.id} canManage={canManage} />
            ))}
            {members.data.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  No members yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {canManage && <AddMemberForm projectId={project.id} />}
    </section>
  );
}
