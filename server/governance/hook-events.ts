/**
 * The events outgoing webhooks can subscribe to, each with the sentence the settings page
 * shows beside it. Pure and free of Node modules: the browser's form imports it too.
 */
export const HOOK_EVENT_DESCRIPTIONS = {
  "approval.requested": "A deployment waits for approval",
  "approval.approved": "An approval request was approved",
  "approval.rejected": "An approval request was rejected",
  "approval.expired": "An approval request expired without a decision",
  "deployment.held": "A deployment waits for a freeze, a wait timer or an approval",
  "deployment.refused": "The environment's rules refused a deployment",
  "deployment.started": "A deployment started",
  "deployment.succeeded": "A deployment finished and its release is live",
  "deployment.failed": "A deployment failed with no earlier release to return to",
  "deployment.rolled_back": "A deployment was rolled back, automatically after a failed check or by a person",
  "run.succeeded": "A run succeeded",
  "run.failed": "A run failed",
  "run.cancelled": "A run was cancelled",
} as const;

export type HookEvent = keyof typeof HOOK_EVENT_DESCRIPTIONS;

export const HOOK_EVENTS = Object.keys(HOOK_EVENT_DESCRIPTIONS) as HookEvent[];
