import { sql, type SQL } from "drizzle-orm";
import { deployments } from "@/db/schema";

/**
 * The condition "this deployment is not held by a governance gate" (approval, freeze, wait
 * timer): the line of queued deployments skips held ones, and they do not make an environment
 * busy. Kept apart from governance-gate.ts so deployments.ts and deploy-driver.ts import it
 * without a cycle.
 */
export function notHeld(): SQL {
  return sql`not exists (select 1 from "deployment_gates" where "deployment_gates"."deployment_id" = ${deployments.id} and "deployment_gates"."status" = 'held')`;
}
