"use client";

import { keepPreviousData } from "@tanstack/react-query";
import { useMemo } from "react";
import { useDebounced } from "@/components/log-viewer/use-debounced";
import { trpc } from "@/components/providers/trpc";
import type { Diagnostic } from "@/server/pipeline/diagnostics";
import { parsePipeline } from "@/server/pipeline/parse";

/**
 * tRPC sends a query's input in the URL, and servers refuse URLs much past
 * 8 KB; past this size the same parser checks the YAML here instead (it is
 * pure, so the answer is the one the server would give).
 */
const MAX_URL_YAML = 6_000;

/** The pipeline's problems as people type: checked once typing pauses, the last answer kept meanwhile. */
export function useValidation(projectId: string, yaml: string, enabled: boolean): { diagnostics: Diagnostic[] | null; checking: boolean } {
  const settled = useDebounced(yaml, 400);
  const local = encodeURIComponent(settled).length > MAX_URL_YAML;
  const query = trpc.pipelines.validate.useQuery({ projectId, yaml: settled }, { enabled: enabled && !local, placeholderData: keepPreviousData, staleTime: Infinity });
  const localResult = useMemo(() => {
    if (!enabled || !local) return null;
    const parsed = parsePipeline(settled);
    return parsed.ok ? parsed.warnings : [...parsed.errors, ...parsed.warnings];
  }, [enabled, local, settled]);
  if (!enabled) return { diagnostics: null, checking: false };
  if (local) return { diagnostics: localResult, checking: settled !== yaml };
  return { diagnostics: query.data ?? null, checking: settled !== yaml || query.isFetching };
}
