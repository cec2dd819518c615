import type { ProjectRole } from "@/server/schemas/project";

/** Mirrors server/api/access.ts so pages hide what the role forbids; the server enforces it anyway. */
const rank: Record<ProjectRole, number> = { viewer: 0, developer: 1, maintainer: 2, admin: 3 };

export function hasRole(role: ProjectRole | null | undefined, needed: ProjectRole): boolean {
  return !!role && rank[role] >= rank[needed];
}

export const roleOptions: { value: ProjectRole; label: string }[] = [
  { value: "viewer", label: "Viewer" },
  { value: "developer", label: "Developer" },
  { value: "maintainer", label: "Maintainer" },
  { value: "admin", label: "Admin" },
];
