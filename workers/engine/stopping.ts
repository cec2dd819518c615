/**
 * The reason a job's signal carries when its worker stops (not a cancel): a job that can
 * carry on elsewhere (a deploy job following its deployment) is handed back to the queue
 * instead of ending.
 */
export class WorkerStopping extends Error {
  constructor() {
    super("The worker is stopping.");
    this.name = "WorkerStopping";
  }
}
