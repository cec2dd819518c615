export * from "./spec";
export * from "./types";
export type { Target, TargetInstance, VersionRef } from "./target";
export {
  canaryWeights,
  minReady,
  replicasForWeight,
  resolveIntOrPercent,
  resolveRollingLimits,
  rollingBatch,
  sameWeights,
  weightsFromReadyCounts,
  type RollingBatch,
  type RollingCounts,
  type RollingLimits,
} from "./arithmetic";
export { UNPROBED, describeUnhealthy, instanceHealth, isReady, probePassed, recordProbe, type InstanceHealth } from "./health";
export { analysisWindows, analyze, metricsFor, type AnalysisVerdict } from "./analysis";
export { createDeployment, reconcile, type NewDeployment } from "./reconcile";
