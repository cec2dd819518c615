import { z } from "zod";
import { deploymentSpecSchema } from "@/server/deploy/spec";
import { environmentIdInput } from "./environment";

/**
 * An environment's target: where its instances run, and the deploy settings every
 * deployment there starts from (a pipeline's `deploy:` block or a person's request may
 * override them). Validated here on save, so a worker never meets a target it cannot use.
 */

const routerPort = z
  .number({ error: "listenPort must be a port number" })
  .int("listenPort must be a whole number")
  .min(1024, "listenPort must be between 1024 and 65535")
  .max(65535, "listenPort must be between 1024 and 65535");

const containerPort = z.number().int("port must be a whole number").min(1, "port must be between 1 and 65535").max(65535, "port must be between 1 and 65535");

const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "portEnv must be a variable name such as PORT");

// DNS-1123 labels; names get a version suffix (`-<hash>`), so they stay short enough for it.
const kubeName = (what: string, max = 63) =>
  z
    .string()
    .max(max, `${what} is at most ${max} characters`)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${what} uses lowercase letters, digits and dashes, and starts and ends with a letter or digit`);

export const dockerTargetSchema = z.strictObject({
  kind: z.literal("docker"),
  /** The port the release's container listens on. */
  port: containerPort.default(8080),
  /** Where the router serves this environment on the host, e.g. 8081. */
  listenPort: routerPort,
  /** Seconds between SIGTERM and SIGKILL when an instance stops (after the router drained it). */
  stopTimeoutSeconds: z.number().int().min(0).max(600, "stopTimeoutSeconds is at most 600").default(10),
});

export const localTargetSchema = z.strictObject({
  kind: z.literal("local"),
  /** Started once per instance, as an argument array (never through a shell), in the release's unpacked artifact. */
  command: z.array(z.string().min(1, "command parts may not be empty")).min(1, 'command needs at least a program, e.g. ["node", "server.js"]'),
  /** The variable that tells each instance which port to listen on. */
  portEnv: variableName.default("PORT"),
  listenPort: routerPort,
});

export const kubernetesTargetSchema = z.strictObject({
  kind: z.literal("kubernetes"),
  namespace: kubeName("namespace"),
  /** Base name of the Deployments (one per version: `<deployment>-<hash>`), the Service and the HTTPRoute. */
  deployment: kubeName("deployment", 40),
  /** The secret (project or environment) holding the kubeconfig the worker uses. */
  kubeconfigSecret: z.string().regex(/^[A-Z_][A-Z0-9_]*$/i, "kubeconfigSecret names a secret, e.g. KUBECONFIG"),
  port: containerPort.default(8080),
});

export const targetSchema = z.discriminatedUnion("kind", [dockerTargetSchema, localTargetSchema, kubernetesTargetSchema], {
  error: 'target.kind must be one of "docker", "local" or "kubernetes"',
});

export const targetSettingsSchema = z.strictObject({
  target: targetSchema,
  /** Replicas, health check and strategy for deployments that do not say otherwise. */
  strategy: deploymentSpecSchema.prefault({ strategy: "rolling" }),
  /** A deployment requested while another runs waits in line, or is refused. */
  whenBusy: z.enum(["queue", "refuse"], { error: 'whenBusy must be "queue" or "refuse"' }).default("queue"),
});

export type TargetConfig = z.output<typeof targetSchema>;
export type DockerTargetConfig = z.output<typeof dockerTargetSchema>;
export type LocalTargetConfig = z.output<typeof localTargetSchema>;
export type KubernetesTargetConfig = z.output<typeof kubernetesTargetSchema>;
export type TargetSettings = z.output<typeof targetSettingsSchema>;
export type TargetSettingsInput = z.input<typeof targetSettingsSchema>;

export const targetSettingsInput = environmentIdInput.extend({ settings: targetSettingsSchema });
