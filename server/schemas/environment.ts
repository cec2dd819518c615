import { z } from "zod";
import { projectIdInput } from "./project";

export const environmentNameSchema = z
  .string()
  .trim()
  .min(1, "Enter an environment name.")
  .max(40, "Environment name must be at most 40 characters.")
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, "Environment name may use letters, digits, spaces, dots, dashes and underscores.");

export const variableNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "Variable names use letters, digits and underscores, and do not start with a digit.")
  .max(100, "Variable names are at most 100 characters.");

export const variablesSchema = z
  .record(variableNameSchema, z.string().max(10_000, "A variable's value is at most 10,000 characters."), {
    // Without this the form shows zod's generic "Invalid key in record" instead of the rule.
    error: (iss) => (iss.code === "invalid_key" ? `"${String(iss.input)}" is not a valid variable name. ${iss.issues[0]?.message ?? ""}`.trim() : undefined),
  })
  .refine((v) => Object.keys(v).length <= 200, "An environment holds at most 200 variables.");

export const createEnvironmentInput = projectIdInput.extend({
  name: environmentNameSchema,
  description: z.string().trim().max(500, "Description must be at most 500 characters.").default(""),
});

export const environmentIdInput = projectIdInput.extend({ environmentId: z.uuid("Unknown environment.") });

export const updateEnvironmentInput = environmentIdInput.extend({
  name: environmentNameSchema.optional(),
  description: z.string().trim().max(500, "Description must be at most 500 characters.").optional(),
  variables: variablesSchema.optional(),
});

export const reorderEnvironmentsInput = projectIdInput.extend({
  /** Every environment of the project, in the new promotion order. */
  environmentIds: z.array(z.uuid()).min(1).max(50),
});

export const deleteEnvironmentInput = environmentIdInput.extend({
  /** The person types the environment's name to confirm, as in GitHub's delete dialogs. */
  confirmName: z.string(),
});

export const DEFAULT_ENVIRONMENTS = ["development", "staging", "production"] as const;
