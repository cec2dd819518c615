import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type ProjectWithRole = RouterOutputs["projects"]["get"];
export type ProjectSummary = RouterOutputs["projects"]["list"][number];
export type EnvironmentRow = RouterOutputs["environments"]["list"][number];
export type MemberRow = RouterOutputs["members"]["list"][number];
export type TokenRow = RouterOutputs["tokens"]["list"][number];
export type AuditEventRow = RouterOutputs["audit"]["listAll"][number];
