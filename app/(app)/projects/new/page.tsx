import type { Metadata } from "next";
import Link from "next/link";
import { NewProjectForm } from "@/components/projects/new-project-form";

export const metadata: Metadata = { title: "New project" };

export default function NewProjectPage() {
  return (
    <div className="stack" style={{ maxWidth: 640 }}>
      <nav aria-label="Breadcrumb" className="small">
        <Link href="/">Projects</Link> / New project
      </nav>
      <h1 style={{ margin: 0 }}>New project</h1>
      <p className="muted" style={{ margin: 0 }}>
        A project builds and deploys one git repository. You become its admin.
      </p>
      <NewProjectForm />
    </div>
  );
}
