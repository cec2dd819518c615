"use client";

import { trpc } from "@/components/providers/trpc";
import { inOrder } from "./reorder";

/** Saves a new promotion order, showing it at once and putting the old one back if the server refuses. */
export function useReorderEnvironments(projectId: string) {
  const utils = trpc.useUtils();
  return trpc.environments.reorder.useMutation({
    onMutate: async ({ environmentIds }) => {
      await utils.environments.list.cancel({ projectId });
      const previous = utils.environments.list.getData({ projectId });
      utils.environments.list.setData({ projectId }, (rows) => (rows ? inOrder(rows, environmentIds) : rows));
      return { previous };
    },
    onError: (_error, _input, context) => {
      if (context?.previous) utils.environments.list.setData({ projectId }, context.previous);
    },
    onSuccess: (rows) => utils.environments.list.setData({ projectId }, rows),
    onSettled: () => utils.environments.list.invalidate({ projectId }),
  });
}
