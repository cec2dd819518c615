import type { RouterOutputs } from "@/components/ui/api-types";

export type SecretRow = RouterOutputs["secrets"]["list"][number];

/** The secret a person chose to give a new value; its name and scope are fixed in the form. */
export type SecretTarget = { name: string; environmentId: string | null };

export function scopeLabel(secret: { environmentName: string | null }): string {
  return secret.environmentName ? `Only ${secret.environmentName}` : "All environments";
}
