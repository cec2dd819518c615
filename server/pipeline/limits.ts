/** Hard limits that keep one pipeline file from exhausting the server that reads it. */
export const LIMITS = {
  maxBytes: 1024 * 1024,
  /** Passed to yaml's `toJS`, which throws past it: the usual "billion laughs" guard. */
  maxAliasCount: 100,
  /** Our own bound on nodes produced through aliases, independent of yaml's heuristic. */
  maxAliasNodes: 10_000,
  maxDepth: 64,
  maxJobs: 500,
  maxStepsPerJob: 1000,
  maxMatrixCombinations: 256,
  maxExpressionLength: 4096,
  maxExpressionDepth: 50,
} as const;
