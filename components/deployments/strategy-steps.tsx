import type { CanaryStep, DeploymentSpec, DeploymentState } from "@/server/deploy";
import styles from "./deployments.module.css";

type StepStatus = "done" | "current" | "pending" | "stopped";
type Step = { label: string; status: StepStatus; note?: string };

const mark: Record<StepStatus, string> = { done: "✓", current: "▶", pending: "○", stopped: "✕" };
const said: Record<StepStatus, string> = { done: "done", current: "now", pending: "to come", stopped: "stopped here" };

/** The strategy's steps in order, with the one being carried out marked; where a failed or aborted one stopped. */
export function StrategySteps({ spec, state, phase, traffic }: { spec: DeploymentSpec; state: DeploymentState | null; phase: string; traffic: Record<string, number> }) {
  const steps = stepsOf(spec, state, phase, traffic);
  return (
    <ol className={styles.steps} aria-label="Strategy steps" data-testid="strategy-steps">
      {steps.map((step, i) => (
        <li key={i} className={step.status === "current" ? styles.stepCurrent : step.status === "done" ? styles.stepDone : undefined} data-status={step.status}>
          <span className={styles.stepMark} aria-hidden="true">
            {mark[step.status]}
          </span>
          <span>
            {step.label}
            <span className={styles.srOnly}>
              {" "}
              ({said[step.status]})
            </span>
            {step.note && <span className="small muted"> · {step.note}</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}

function describeStep(step: CanaryStep): string {
  if ("setWeight" in step) return `Send ${step.setWeight}% of traffic to the canary`;
  if ("pause" in step) return step.pause.durationSeconds === undefined ? "Pause until a person resumes" : `Pause ${step.pause.durationSeconds} s`;
  const a = step.analysis;
  const limits = [`errors ≤ ${+(a.maxErrorRate * 100).toFixed(2)}%`, a.maxP99Ms !== undefined ? `p99 ≤ ${a.maxP99Ms} ms` : null, a.maxP99RatioToStable !== undefined ? `p99 ≤ ${a.maxP99RatioToStable}× stable` : null].filter(Boolean);
  return `Analyse ${a.windowSeconds} s (at least ${a.minRequests} requests; ${limits.join(", ")})`;
}

function stepsOf(spec: DeploymentSpec, state: DeploymentState | null, phase: string, traffic: Record<string, number>): Step[] {
  const ended = ["succeeded", "rolled_back", "aborted", "failed"].includes(phase);
  const succeeded = phase === "succeeded";
  const version = state?.newVersion ?? "the new release";
  const onNew = state ? (traffic[state.newVersion] ?? 0) : 0;
  // Ordered steps where `at` is being carried out: earlier ones are done, later ones to come (or never, when it stopped).
  const walk = (labels: { label: string; note?: string }[], at: number): Step[] =>
    labels.map((s, i) => ({
      ...s,
      status: succeeded || i < at ? "done" : i === at ? (ended ? "stopped" : phase === "queued" ? "pending" : "current") : "pending",
    }));

  const instances = `${spec.replicas} ${spec.replicas === 1 ? "instance" : "instances"}`;
  if (spec.strategy === "canary") {
    const labels = [...spec.steps.map((s) => ({ label: describeStep(s) })), { label: `Promote: ${instances} of ${version}, all traffic, the old ones stopped` }];
    const at = state ? Math.min(state.stepIndex, spec.steps.length) : 0;
    const steps = walk(labels, at);
    const pause = state?.pause;
    if (pause?.kind === "step" && steps[at]?.status === "current") steps[at].note = pause.until ? `until ${new Date(pause.until).toLocaleTimeString()}` : "waiting for a person";
    if (state?.promoted && !ended) steps.forEach((s, i) => i < spec.steps.length && s.status !== "done" && (s.note = "skipped: promoted now"));
    // The first release of an environment has no stable one to compare with or shift traffic from.
    if (state && state.stableVersion === null) steps.forEach((s, i) => i < spec.steps.length && (s.note = "skipped: nothing served here before"));
    return steps;
  }
  if (spec.strategy === "blue-green") {
    const labels = [
      { label: `Start ${instances} of ${version} beside the current ones` },
      { label: `Health checks pass (${spec.healthCheck.path})` },
      ...(spec.previewChecks.length || spec.smokeTestJob ? [{ label: `Preview checks${spec.smokeTestJob ? ` and the ${spec.smokeTestJob} job` : ""}` }] : []),
      ...(spec.autoPromote ? [] : [{ label: "A person promotes it" }]),
      { label: `Switch all traffic to ${version}` },
      { label: spec.scaleDownDelaySeconds > 0 ? `Keep the old ones warm ${spec.scaleDownDelaySeconds} s, then stop them` : "Stop the old ones" },
    ];
    const switchAt = labels.length - 2;
    let at = 0;
    if (state?.switchedAt || onNew === 100) at = labels.length - 1;
    else if (state?.pause?.kind === "promotion") at = switchAt - 1;
    else if (state && /check|smoke|preview/i.test(state.rollback?.reason ?? "")) at = 1;
    return walk(labels, at);
  }
  const labels = [
    { label: `Replace ${instances} in batches (max surge ${spec.maxSurge}, max unavailable ${spec.maxUnavailable}), each new one ready before an old one goes`, note: state ? `${onNew}% of traffic on ${version}` : undefined },
    { label: "Stop the last old instances" },
  ];
  return walk(labels, onNew === 100 ? 1 : 0);
}
