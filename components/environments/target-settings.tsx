"use client";

import { useRef, useState, type FormEvent } from "react";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { trpc } from "@/components/providers/trpc";
import type { EnvironmentRow } from "@/components/ui/api-types";
import { readableMessage, useFocusFirstInvalid } from "@/components/ui/field-errors";
import { FormError, SelectField, TextAreaField, TextField } from "@/components/ui/form-controls";
import { Loading, QueryError } from "@/components/ui/query-state";
import { formatDateTime } from "@/components/ui/format";
import { targetSettingsSchema, type TargetSettings, type TargetSettingsInput } from "@/server/schemas/target";

/**
 * Where an environment's releases run (docker, local or kubernetes) and how deployments there
 * roll out unless they say otherwise. Checked with the same schema the server uses before it
 * is sent; the server checks again (a port another environment uses, say) and says which field.
 */

type Values = {
  kind: "local" | "docker" | "kubernetes";
  command: string;
  portEnv: string;
  listenPort: string;
  port: string;
  stopTimeoutSeconds: string;
  namespace: string;
  deployment: string;
  kubeconfigSecret: string;
  strategy: "rolling" | "blue-green" | "canary";
  replicas: string;
  healthPath: string;
  expectedStatus: string;
  intervalSeconds: string;
  timeoutSeconds: string;
  failureThreshold: string;
  warmUpPath: string;
  warmUpRequests: string;
  maxSurge: string;
  maxUnavailable: string;
  autoPromote: boolean;
  scaleDownDelaySeconds: string;
  steps: string;
  whenBusy: "queue" | "refuse";
};

const EXAMPLE_STEPS = "- setWeight: 20\n- pause: { durationSeconds: 60 }\n- analysis: { windowSeconds: 60, maxErrorRate: 0.05 }\n- setWeight: 50\n";

function initialValues(settings: TargetSettings | null): Values {
  const target = settings?.target;
  const strategy = settings?.strategy;
  const health = strategy?.healthCheck;
  return {
    kind: target?.kind ?? "local",
    command: target?.kind === "local" ? target.command.map(quote).join(" ") : "node server.js",
    portEnv: target?.kind === "local" ? target.portEnv : "PORT",
    listenPort: target && target.kind !== "kubernetes" ? String(target.listenPort) : "",
    port: target && target.kind !== "local" ? String(target.port) : "8080",
    stopTimeoutSeconds: target?.kind === "docker" ? String(target.stopTimeoutSeconds) : "10",
    namespace: target?.kind === "kubernetes" ? target.namespace : "",
    deployment: target?.kind === "kubernetes" ? target.deployment : "",
    kubeconfigSecret: target?.kind === "kubernetes" ? target.kubeconfigSecret : "KUBECONFIG",
    strategy: strategy?.strategy ?? "rolling",
    replicas: String(strategy?.replicas ?? 1),
    healthPath: health?.path ?? "/",
    expectedStatus: String(health?.expectedStatus ?? 200),
    intervalSeconds: String(health?.intervalSeconds ?? 5),
    timeoutSeconds: String(health?.timeoutSeconds ?? 2),
    failureThreshold: String(health?.failureThreshold ?? 3),
    warmUpPath: strategy?.warmUp.path ?? "",
    warmUpRequests: String(strategy?.warmUp.requests ?? 200),
    maxSurge: strategy?.strategy === "rolling" ? String(strategy.maxSurge) : "25%",
    maxUnavailable: strategy?.strategy === "rolling" ? String(strategy.maxUnavailable) : "25%",
    autoPromote: strategy?.strategy === "blue-green" ? strategy.autoPromote : true,
    scaleDownDelaySeconds: strategy?.strategy === "blue-green" ? String(strategy.scaleDownDelaySeconds) : "30",
    steps: strategy?.strategy === "canary" ? toYaml(strategy.steps, { flowCollectionPadding: true }) : EXAMPLE_STEPS,
    whenBusy: settings?.whenBusy ?? "queue",
  };
}

/** `node "my server.js" --flag` → ["node", "my server.js", "--flag"]: arguments as a program gets them, with no shell. */
export function splitCommand(line: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quote: '"' | "'" | null = null;
  let started = false;
  for (const char of line.trim()) {
    if (quote) {
      if (char === quote) quote = null;
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      started = true;
    } else if (/\s/.test(char)) {
      if (started || current) parts.push(current);
      current = "";
      started = false;
    } else current += char;
  }
  if (started || current) parts.push(current);
  return parts;
}

const quote = (part: string) => (/[\s"']/.test(part) || part === "" ? `"${part}"` : part);

const numberOrUndefined = (value: string) => (value.trim() === "" ? undefined : Number(value));
const intOrPercent = (value: string) => (/^\d+$/.test(value.trim()) ? Number(value) : value.trim());

/** The form as the settings the server takes; YAML in the steps that does not parse is an error of that field. */
function toSettings(v: Values): { settings: TargetSettingsInput | null; stepsError: string | null } {
  const target =
    v.kind === "local"
      ? { kind: "local" as const, command: splitCommand(v.command), portEnv: v.portEnv.trim() || undefined, listenPort: numberOrUndefined(v.listenPort) }
      : v.kind === "docker"
        ? { kind: "docker" as const, port: numberOrUndefined(v.port), listenPort: numberOrUndefined(v.listenPort), stopTimeoutSeconds: numberOrUndefined(v.stopTimeoutSeconds) }
        : { kind: "kubernetes" as const, namespace: v.namespace.trim(), deployment: v.deployment.trim(), kubeconfigSecret: v.kubeconfigSecret.trim(), port: numberOrUndefined(v.port) };
  const healthCheck = {
    path: v.healthPath.trim() || undefined,
    expectedStatus: numberOrUndefined(v.expectedStatus),
    intervalSeconds: numberOrUndefined(v.intervalSeconds),
    timeoutSeconds: numberOrUndefined(v.timeoutSeconds),
    failureThreshold: numberOrUndefined(v.failureThreshold),
  };
  const warmUp = { path: v.warmUpPath.trim() || undefined, requests: numberOrUndefined(v.warmUpRequests) };
  const common = { replicas: numberOrUndefined(v.replicas), healthCheck, warmUp };
  let steps: unknown = [];
  if (v.strategy === "canary") {
    try {
      steps = parseYaml(v.steps) ?? [];
    } catch (error) {
      return { settings: null, stepsError: `The steps are not valid YAML: ${(error as Error).message.split("\n")[0]}` };
    }
  }
  const strategy =
    v.strategy === "rolling"
      ? { strategy: "rolling" as const, ...common, maxSurge: intOrPercent(v.maxSurge), maxUnavailable: intOrPercent(v.maxUnavailable) }
      : v.strategy === "blue-green"
        ? { strategy: "blue-green" as const, ...common, autoPromote: v.autoPromote, scaleDownDelaySeconds: numberOrUndefined(v.scaleDownDelaySeconds) }
        : { strategy: "canary" as const, ...common, steps };
  return { settings: { target, strategy, whenBusy: v.whenBusy } as TargetSettingsInput, stepsError: null };
}

/** Form fields by the settings path their messages come back on. */
const FIELD_OF: Record<string, keyof Values> = {
  "target.command": "command",
  "target.portEnv": "portEnv",
  "target.listenPort": "listenPort",
  "target.port": "port",
  "target.stopTimeoutSeconds": "stopTimeoutSeconds",
  "target.namespace": "namespace",
  "target.deployment": "deployment",
  "target.kubeconfigSecret": "kubeconfigSecret",
  "target.kind": "kind",
  "strategy.strategy": "strategy",
  "strategy.replicas": "replicas",
  "strategy.healthCheck.path": "healthPath",
  "strategy.healthCheck.expectedStatus": "expectedStatus",
  "strategy.healthCheck.intervalSeconds": "intervalSeconds",
  "strategy.healthCheck.timeoutSeconds": "timeoutSeconds",
  "strategy.healthCheck.failureThreshold": "failureThreshold",
  "strategy.warmUp.path": "warmUpPath",
  "strategy.warmUp.requests": "warmUpRequests",
  "strategy.maxSurge": "maxSurge",
  "strategy.maxUnavailable": "maxUnavailable",
  "strategy.scaleDownDelaySeconds": "scaleDownDelaySeconds",
  "strategy.steps": "steps",
  whenBusy: "whenBusy",
};

function fieldFor(path: string): keyof Values | null {
  const clean = path.replace(/^settings\./, "");
  if (FIELD_OF[clean]) return FIELD_OF[clean];
  if (clean.startsWith("target.command")) return "command";
  if (clean.startsWith("strategy.steps")) return "steps";
  return null;
}

type Errors = Partial<Record<keyof Values, string>>;

export function TargetSettingsForm({ projectId, environment, readOnly }: { projectId: string; environment: EnvironmentRow; readOnly: boolean }) {
  const stored = trpc.deployments.target.useQuery({ projectId, environmentId: environment.id });
  if (stored.isPending) return <Loading label="Loading the target…" />;
  if (stored.isError) return <QueryError error={stored.error} title="The target could not be loaded." onRetry={() => void stored.refetch()} />;
  return <Form key={environment.id} projectId={projectId} environment={environment} stored={stored.data} readOnly={readOnly} />;
}

function Form({ projectId, environment, stored, readOnly }: { projectId: string; environment: EnvironmentRow; stored: { settings: TargetSettings; updatedAt: Date } | null; readOnly: boolean }) {
  const utils = trpc.useUtils();
  const [values, setValues] = useState<Values>(() => initialValues(stored?.settings ?? null));
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(formRef, [errors]);
  const save = trpc.deployments.setTarget.useMutation({
    onSuccess: async () => {
      setSaved(true);
      await Promise.all([utils.deployments.target.invalidate({ projectId, environmentId: environment.id }), utils.deployments.board.invalidate({ projectId })]);
    },
    onError: (error) => {
      const byField: Errors = {};
      let elsewhere: string | null = null;
      for (const [path, messages] of Object.entries(error.data?.fieldErrors ?? {})) {
        const field = fieldFor(path);
        if (field && messages?.[0]) byField[field] = messages[0];
        else if (messages?.[0]) elsewhere = messages[0];
      }
      setErrors(byField);
      setFormError(Object.keys(byField).length ? elsewhere : (elsewhere ?? readableMessage(error)));
    },
  });
  const set = <K extends keyof Values>(key: K, value: Values[K]) => {
    setSaved(false);
    setValues((v) => ({ ...v, [key]: value }));
  };

  function submit(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    save.reset();
    const { settings, stepsError } = toSettings(values);
    if (!settings) {
      setErrors({ steps: stepsError ?? "The steps are not valid." });
      return;
    }
    const checked = targetSettingsSchema.safeParse(settings);
    if (!checked.success) {
      const byField: Errors = {};
      const other: string[] = [];
      for (const issue of checked.error.issues) {
        const field = fieldFor(issue.path.map(String).join("."));
        if (field && !byField[field]) byField[field] = issue.message;
        else if (!field) other.push(issue.message);
      }
      setErrors(byField);
      setFormError(other[0] ?? null);
      return;
    }
    setErrors({});
    save.mutate({ projectId, environmentId: environment.id, settings });
  }

  const text = (key: keyof Values, label: string, hint?: string, extra: Record<string, unknown> = {}) => (
    <TextField label={label} hint={hint} value={String(values[key])} onChange={(e) => set(key, e.target.value as never)} error={errors[key]} readOnly={readOnly} autoComplete="off" spellCheck={false} {...extra} />
  );

  return (
    <form ref={formRef} id="target" className="card stack" onSubmit={submit} noValidate aria-labelledby="target-title">
      <h3 id="target-title" style={{ margin: 0 }}>
        Target
      </h3>
      <p className="small muted" style={{ margin: 0 }}>
        {stored
          ? `Where ${environment.name}'s releases run, and how deployments there roll out unless they say otherwise. Last saved ${formatDateTime(stored.updatedAt)}.`
          : `${environment.name} has no target yet, so nothing can be deployed to it. Choose where its releases run.`}
      </p>
      <SelectField
        label="Runs on"
        value={values.kind}
        onChange={(e) => set("kind", e.target.value as Values["kind"])}
        error={errors.kind}
        disabled={readOnly}
        options={[
          { value: "local", label: "Local: processes on the worker's machine" },
          { value: "docker", label: "Docker: containers of the release's image" },
          { value: "kubernetes", label: "Kubernetes: a Deployment and Service in a namespace" },
        ]}
      />
      {values.kind === "local" && (
        <>
          {text("command", "Command", "Started once per instance in the release's unpacked artifact, without a shell, e.g. node server.js. Quote arguments that hold spaces.")}
          {text("portEnv", "Port variable", "The variable that tells each instance which port to listen on.")}
        </>
      )}
      {values.kind === "docker" && (
        <>
          {text("port", "Container port", "The port the release's container listens on.", { inputMode: "numeric" })}
          {text("stopTimeoutSeconds", "Stop timeout (seconds)", "Between SIGTERM and SIGKILL, after the router drained an instance.", { inputMode: "numeric" })}
        </>
      )}
      {values.kind === "kubernetes" && (
        <>
          {text("namespace", "Namespace")}
          {text("deployment", "Deployment name", "Base name of the Deployments (one per version), the Service and the HTTPRoute.")}
          {text("kubeconfigSecret", "Kubeconfig secret", "The project or environment secret that holds the kubeconfig.")}
          {text("port", "Container port", undefined, { inputMode: "numeric" })}
        </>
      )}
      {values.kind !== "kubernetes" && text("listenPort", "Router port", `Slipway's router serves ${environment.name} on this port of this machine (1024 to 65535).`, { inputMode: "numeric" })}

      <fieldset className="stack" style={{ border: "none", padding: 0, margin: 0 }}>
        <legend style={{ fontWeight: 600, padding: 0, marginBottom: "0.5rem" }}>Default strategy</legend>
        <SelectField
          label="Strategy"
          value={values.strategy}
          onChange={(e) => set("strategy", e.target.value as Values["strategy"])}
          error={errors.strategy}
          disabled={readOnly}
          options={[
            { value: "rolling", label: "Rolling: replace instances in batches" },
            { value: "blue-green", label: "Blue-green: start the new beside the old, switch at once" },
            { value: "canary", label: "Canary: shift traffic by steps, with analysis" },
          ]}
        />
        {text("replicas", "Instances", undefined, { inputMode: "numeric" })}
        {values.strategy === "rolling" && (
          <div className="row" style={{ alignItems: "flex-start" }}>
            {text("maxSurge", "Max surge", 'Extra instances during the update: 1, or "25%".')}
            {text("maxUnavailable", "Max unavailable", 'Instances that may be missing: 0, or "25%".')}
          </div>
        )}
        {values.strategy === "blue-green" && (
          <>
            <label className="row" style={{ fontWeight: 500 }}>
              <input type="checkbox" checked={values.autoPromote} onChange={(e) => set("autoPromote", e.target.checked)} disabled={readOnly} />
              Switch traffic as soon as the new instances pass their checks (else a person promotes)
            </label>
            {text("scaleDownDelaySeconds", "Keep the old ones warm (seconds)", "For an instant rollback after the switch.", { inputMode: "numeric" })}
          </>
        )}
        {values.strategy === "canary" && (
          <TextAreaField
            label="Steps (YAML)"
            hint="setWeight (percent of traffic), pause (durationSeconds, or {} to wait for a person) and analysis (windowSeconds, minRequests, maxErrorRate, maxP99Ms)."
            rows={6}
            value={values.steps}
            onChange={(e) => set("steps", e.target.value)}
            error={errors.steps}
            readOnly={readOnly}
            spellCheck={false}
            style={{ fontFamily: "var(--mono)" }}
          />
        )}
        <div className="row" style={{ alignItems: "flex-start" }}>
          {text("healthPath", "Health check path")}
          {text("expectedStatus", "Expected status", undefined, { inputMode: "numeric" })}
          {text("intervalSeconds", "Every (seconds)", undefined, { inputMode: "numeric" })}
          {text("timeoutSeconds", "Timeout (seconds)", undefined, { inputMode: "numeric" })}
          {text("failureThreshold", "Failures before unhealthy", undefined, { inputMode: "numeric" })}
        </div>
        {values.kind !== "kubernetes" && (
          <div className="row" style={{ alignItems: "flex-start" }}>
            {text("warmUpPath", "Warm-up path", "Requests a new instance answers before it takes traffic, so users never wait on its first, slow ones. Empty: the health check path.")}
            {text("warmUpRequests", "Warm-up requests", "0 for none.", { inputMode: "numeric" })}
          </div>
        )}
        <SelectField
          label="When a deployment is already running"
          value={values.whenBusy}
          onChange={(e) => set("whenBusy", e.target.value as Values["whenBusy"])}
          error={errors.whenBusy}
          disabled={readOnly}
          options={[
            { value: "queue", label: "Queue the new one: it starts when the running one ends, oldest first" },
            { value: "refuse", label: "Refuse the new one" },
          ]}
        />
      </fieldset>
      <FormError message={formError} />
      {!readOnly && (
        <div className="row">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save target"}
          </button>
          <span role="status" className="small muted">
            {saved ? "Saved." : ""}
          </span>
        </div>
      )}
    </form>
  );
}
