import Link from "next/link";
import type { AuditEventRow } from "@/components/ui/api-types";
import { AuditChange } from "./audit-change";
import { objectHref } from "./object-href";

export type ProjectNames = Map<string, { name: string; slug: string }>;

const dayFormat: Intl.DateTimeFormatOptions = { year: "numeric", month: "short", day: "numeric" };
const timeFormat: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", second: "2-digit" };

export function AuditEventRowView({ event: e, projects }: { event: AuditEventRow; projects: ProjectNames }) {
  const project = e.projectId ? projects.get(e.projectId) : undefined;
  const href = objectHref(e, project);
  return (
    <tr data-seq={e.seq}>
      <td title={`Event ${e.seq} · ${e.at}`} style={{ whiteSpace: "nowrap" }}>
        <time dateTime={e.at}>
          {new Date(e.at).toLocaleDateString(undefined, dayFormat)}
          <br />
          <span className="muted">{new Date(e.at).toLocaleTimeString(undefined, timeFormat)}</span>
        </time>
      </td>
      <td style={{ overflowWrap: "anywhere", minWidth: 120 }}>{e.actorLabel}</td>
      <td>
        <code style={{ overflowWrap: "anywhere" }}>{e.action}</code>
      </td>
      <td title={e.objectId ?? undefined}>
        {href ? <Link href={href}>{e.objectType}</Link> : e.objectType}
        {e.objectId && (
          <>
            <br />
            <code className="muted">{e.objectId.slice(0, 8)}</code>
          </>
        )}
      </td>
      <td>
        {project ? <Link href={`/projects/${project.slug}`}>{project.name}</Link> : e.projectId ? <code className="small">{e.projectId.slice(0, 8)}</code> : <span className="muted">—</span>}
      </td>
      <td>{e.ip ? <code className="small">{e.ip}</code> : <span className="muted">—</span>}</td>
      <td className="small">{e.via}</td>
      <td>
        <AuditChange before={e.before} after={e.after} seq={e.seq} />
      </td>
    </tr>
  );
}
