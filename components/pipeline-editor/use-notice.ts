"use client";

import { useCallback, useEffect, useState } from "react";

export type Notice = { message: string; kind: "error" | "ok"; at: number };

/** One message at a time for the person, cleared after a while so stale news does not linger. */
export function useNotice(ms = 8000) {
  const [notice, setNotice] = useState<Notice | null>(null);
  const notify = useCallback((message: string, kind: "error" | "ok" = "ok") => setNotice({ message, kind, at: Date.now() }), []);
  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(null), ms);
    return () => clearTimeout(timer);
  }, [notice, ms]);
  return [notice, notify, () => setNotice(null)] as const;
}

/** Ctrl+Z / Cmd+Z undoes, with Shift (or Ctrl+Y) redoes: over graph, panel and YAML edits alike. */
export function useUndoKeys(enabled: boolean, undo: () => void, redo: () => void) {
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
      const key = event.key.toLowerCase();
      if (key === "z" && !event.shiftKey) undo();
      else if ((key === "z" && event.shiftKey) || key === "y") redo();
      else return;
      event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled, undo, redo]);
}
