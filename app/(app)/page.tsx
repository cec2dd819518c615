import Link from "next/link";
import { serverApi } from "@/server/api/server-caller";

export default async function ProjectsPage() {
  const { api } = await serverApi();
  const projects = await api.projects.list();
  return (
    <div className="stack">
      <div className="spread">
        <h1>Projects</h1>
        <Link className="button primary" href="/projects/new">
          New project
        </Link>
      </div>
      <div className="grid">
        {projects.map((p) => (
          <Link key={p.id} href={`/projects/${p.slug}`} className="card">
            <strong>{p.name}</strong>
            <div className="muted small">{p.slug}</div>
          </Link>
        ))}
      </div>
    </div>
  );
}
