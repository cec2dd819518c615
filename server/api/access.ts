import type { ProjectRole } from "@/server/schemas/project";

/**
 * Who may call each tRPC procedure: the one table the access middleware
 * enforces and the role-matrix test checks. A procedure missing here is
 * refused for everyone, so a new one cannot ship open by accident.
 */
export type Access =
  | { kind: "signedIn" }
  | { kind: "siteAdmin" }
  /** Needs at least this role in the project named by the input's projectId or projectSlug. */
  | { kind: "project"; role: ProjectRole };

const signedIn: Access = { kind: "signedIn" };
const siteAdmin: Access = { kind: "siteAdmin" };
const project = (role: ProjectRole): Access => ({ kind: "project", role });

export const procedureAccess: Record<string, Access> = {
  "me.get": signedIn,

  "projects.list": signedIn,
  "projects.create": signedIn,
  "projects.get": project("viewer"),
  "projects.update": project("admin"),
  "projects.archive": project("admin"),
  "projects.unarchive": project("admin"),

  "members.list": project("viewer"),
  "members.add": project("admin"),
  "members.updateRole": project("admin"),
  "members.remove": project("admin"),

  "environments.list": project("viewer"),
  "environments.create": project("maintainer"),
  "environments.update": project("maintainer"),
  "environments.reorder": project("maintainer"),
  "environments.deletionImpact": project("maintainer"),
  "environments.delete": project("maintainer"),
  "secrets.list": project("developer"),
  "secrets.set": project("maintainer"),
  "secrets.delete": project("maintainer"),
  "webhooks.settings": project("maintainer"),
  "webhooks.rotateSecret": project("admin"),

  "tokens.list": signedIn,
  "tokens.create": signedIn,
  "tokens.revoke": signedIn,

  "runs.list": project("viewer"),
  "runs.get": project("viewer"),
  "runs.log": project("viewer"),
  "runs.start": project("developer"),
  "runs.cancel": project("developer"),
  "runs.rerunFailed": project("developer"),
  "runs.rerunJob": project("developer"),

  "pipelines.get": project("viewer"),
  "pipelines.validate": project("viewer"),
  "pipelines.revisions": project("viewer"),
  "pipelines.revision": project("viewer"),
  "pipelines.save": project("maintainer"),
  "pipelines.restore": project("maintainer"),
  "pipelines.setSource": project("maintainer"),

  "releases.list": project("viewer"),
  "releases.get": project("viewer"),
  "deployments.board": project("viewer"),
  "deployments.preview": project("viewer"),
  "deployments.list": project("viewer"),
  "deployments.get": project("viewer"),
  "deployments.target": project("viewer"),
  "deployments.deploy": project("maintainer"),
  "deployments.promote": project("maintainer"),
  "deployments.rollback": project("maintainer"),
  "deployments.pause": project("maintainer"),
  "deployments.resume": project("maintainer"),
  "deployments.promoteNow": project("maintainer"),
  "deployments.abort": project("maintainer"),
  "deployments.setTarget": project("maintainer"),

  // Approvals: the inbox spans the caller's projects; deciding needs membership, and the
  // environment's rules (stage approvers, separation of duties) decide beyond it.
  "approvals.inbox": signedIn,
  "approvals.count": signedIn,
  "approvals.get": project("viewer"),
  "approvals.list": project("viewer"),
  "approvals.gate": project("viewer"),
  "approvals.approve": project("viewer"),
  "approvals.reject": project("viewer"),
  "approvals.bulkApprove": project("viewer"),

  "governance.rules": project("viewer"),
  "governance.preview": project("viewer"),
  "governance.ruleVersions": project("viewer"),
  "governance.setRules": project("admin"),
  "governance.freezeWindows": project("viewer"),
  "governance.addFreezeWindow": project("maintainer"),
  "governance.removeFreezeWindow": project("admin"),
  "governance.overrideFreeze": project("admin"),
  "governance.groups": project("viewer"),
  "governance.setGroup": project("admin"),

  // Hook URLs can carry tokens (Slack, Teams): maintainers only. Private destinations need a site admin (checked in the service).
  "notifications.hooks": project("maintainer"),
  "notifications.createHook": project("maintainer"),
  "notifications.deleteHook": project("maintainer"),
  "notifications.deliveries": project("maintainer"),

  "audit.list": project("maintainer"),
  "audit.listAll": siteAdmin,
  "audit.verify": siteAdmin,
  "audit.export": project("maintainer"),
  "audit.exportAll": siteAdmin,
  "audit.signingKey": signedIn,
};

export const roleRank: Record<ProjectRole, number> = { viewer: 0, developer: 1, maintainer: 2, admin: 3 };

export function roleAllows(role: ProjectRole | null, needed: ProjectRole): boolean {
  return role !== null && roleRank[role] >= roleRank[needed];
}
