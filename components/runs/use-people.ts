"use client";

import { useCallback } from "react";
import { trpc } from "@/components/providers/trpc";

/** Names for the user ids runs carry: the project's members, and "you". */
export function usePeople(projectId: string) {
  const me = trpc.me.get.useQuery(undefined, { staleTime: 60_000 });
  const members = trpc.members.list.useQuery({ projectId }, { staleTime: 60_000 });
  return useCallback(
    (userId: string | null | undefined): string | null => {
      // Nothing until both answers are in, rather than a wrong guess that then changes.
      if (!userId || !me.data || !members.data) return null;
      if (userId === me.data.id) return "you";
      const member = members.data.find((m) => m.userId === userId);
      return member ? member.name || member.email : "a former member";
    },
    [me.data, members.data],
  );
}
