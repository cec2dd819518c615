/** Hard limits that keep one pipeline file from exhausting the server that reads it. */
export const LIMITS = {
  maxBytes: 1024 * 1024,
  /** Passed to yaml's `toJS`, which throws past it: the usual "billion laughs" guard. */
  maxAliasCount: 5_000,
  /** Anchors (&name) plus aliases (*name): yaml's alias resolution is quadratic in them. */
  maxAnchorsAndAliases: 2_000,
  /** Our own bound on nodes produced through aliases, independent of yaml's heuristic. */
  maxAliasNodes: 100_000,
  maxDepth: 64,
  maxJobs: 500,
  maxStepsPerJob: 1000,
  maxMatrixCombinations: 256,
  maxExpressionLength: 4096,
  maxExpressionDepth: 50,
} as const;
