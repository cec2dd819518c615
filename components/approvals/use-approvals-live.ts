"use client";

import { useEffect, useRef, useState } from "react";

/**
 * How many approvals wait for the signed-in person, live: /api/approvals/events sends the count
 * now and after every approval change; `onChange` runs on each (pages refetch what they show).
 * EventSource reconnects by itself after a drop.
 */
export function useApprovalsLive(onChange?: (requestId: string | null) => void): number | null {
  const [count, setCount] = useState<number | null>(null);
  const callback = useRef(onChange);
  useEffect(() => {
    callback.current = onChange;
  }, [onChange]);
  useEffect(() => {
    const source = new EventSource("/api/approvals/events");
    const onCount = (event: MessageEvent<string>) => {
      const data = JSON.parse(event.data) as { count: number; requestId: string | null };
      setCount(data.count);
      callback.current?.(data.requestId);
    };
    source.addEventListener("count", onCount);
    return () => {
      source.removeEventListener("count", onCount);
      source.close();
    };
  }, []);
  return count;
}
