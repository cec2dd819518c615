import type { Metadata } from "next";
import { EditorPage, type EditorPreload } from "@/components/pipeline-editor/editor-page";
import type { Positions } from "@/components/pipeline-editor/history";
import { placeNewNodes } from "@/components/pipeline-editor/layout";
import { serverApi } from "@/server/api/server-caller";
import { readGraph, type PipelineGraph } from "@/server/pipeline/document";

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Editor · ${(await params).slug}` };
}

export default async function ProjectEditorPage({ params }: Props) {
  const { slug } = await params;
  // Not awaited: the page and its code go out at once, the data follows in the same response.
  return <EditorPage slug={slug} preload={preload(slug)} />;
}

/**
 * The project and its pipeline, read on the server while the browser loads
 * the editor's code, with the graph already read from the YAML and laid out
 * where it has no saved positions: the browser draws it without a request, a
 * parse or a layout of its own. Whatever fails here is asked again by the
 * browser, which shows why.
 */
async function preload(slug: string): Promise<EditorPreload | null> {
  try {
    const { api } = await serverApi();
    const project = await api.projects.get({ projectSlug: slug });
    const pipeline = await api.pipelines.get({ projectId: project.id });
    const read = pipeline.yaml === null ? null : readGraph(pipeline.yaml);
    const graph = read?.ok ? read.graph : null;
    const saved = pipeline.source === "slipway" ? (pipeline.revision?.positions ?? {}) : {};
    return { project, pipeline, graph, positions: graph ? await laidOut(graph, saved) : null };
  } catch {
    return null;
  }
}

/** Beyond this many jobs the browser lays the graph out itself, so one open cannot hold the server up for long. */
const MAX_SERVER_LAYOUT = 500;
const layouts = new Map<string, Positions>();

/**
 * Every job's place: the saved ones, and ELK's for the rest. ELK runs warm
 * here, where a browser would first load and compile it; a pipeline from the
 * repository (never saved with positions) is laid out once per shape.
 */
async function laidOut(graph: PipelineGraph, saved: Positions): Promise<Positions | null> {
  const ids = graph.jobs.map((job) => job.id);
  if (ids.every((id) => saved[id])) return saved;
  if (ids.length > MAX_SERVER_LAYOUT) return null;
  const key = JSON.stringify([ids, graph.edges, saved]);
  let positions = layouts.get(key);
  if (!positions) {
    positions = { ...saved, ...(await placeNewNodes(ids, graph.edges, saved)) };
    layouts.set(key, positions);
    if (layouts.size > 20) layouts.delete(layouts.keys().next().value as string);
  }
  return positions;
}
