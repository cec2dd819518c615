/** True when a query failed on a unique constraint (SQLSTATE 23505), e.g. a slug taken by a concurrent request. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = (error as { cause?: unknown })?.cause ?? error;
  const pg = e as { code?: string; constraint_name?: string };
  return pg?.code === "23505" && (!constraint || pg.constraint_name === constraint);
}
