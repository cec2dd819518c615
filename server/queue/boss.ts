import PgBoss from "pg-boss";

export const QUEUES = { workerHeartbeat: "worker-heartbeat" } as const;

/** pg-boss in the Slipway database, in its own schema; queues exist before anyone sends to them. */
export async function startBoss(connectionString: string): Promise<PgBoss> {
  const boss = new PgBoss({ connectionString, schema: "pgboss", max: 4, application_name: "slipway-worker" });
  boss.on("error", (error) => console.error(`[pg-boss] ${error.message}`));
  await boss.start();
  for (const name of Object.values(QUEUES)) {
    try {
      if (!(await boss.getQueue(name))) await boss.createQueue(name);
    } catch (error) {
      // Another worker starting at the same moment may have created it first.
      if (!(await boss.getQueue(name))) throw error;
    }
  }
  return boss;
}
