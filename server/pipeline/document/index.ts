/**
 * The pipeline document behind the visual editor: the graph read from the YAML
 * and graph edits written back into it as small text splices, so comments, key
 * order, quoting and formatting the person wrote survive. Pure: no I/O, runs in
 * the browser and in Node. Canvas positions are not part of the YAML.
 */
export { readGraph, findPath, matrixSize, type GraphEdge, type GraphJob, type PipelineGraph, type ReadResult } from "./graph";
export { addJob, connect, deleteJob, disconnect, setJobField, setJobSteps, type NeedsForm } from "./edits";
export { renameJob } from "./rename";
export { openPipeline, PipelineSession } from "./session";
export { JOB_FIELDS, JOB_ID, type JobField, type JobKind } from "./fields";
export type { EditError, EditResult } from "./apply";
export type { PipelineError } from "./load";
