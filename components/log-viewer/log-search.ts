"use client";

import { useEffect, useRef, useState } from "react";
import { hasAnsi, stripAnsi } from "./ansi";
import type { LogStore } from "./log-store";

/**
 * Finds the lines that contain a text, ignoring case and colour codes. It
 * scans the store's array in slices of a few milliseconds, so searching a
 * million lines never freezes the page, and picks up lines added later.
 */
export class LogSearch {
  readonly matches: number[] = [];
  private scanned = 0;
  private readonly pattern: RegExp;

  constructor(
    private readonly texts: readonly string[],
    query: string,
  ) {
    this.pattern = new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
  }

  get done(): boolean {
    return this.scanned >= this.texts.length;
  }

  /** Scans for about `budgetMs`; returns true when it reached the end of what is loaded. */
  scan(budgetMs = 8): boolean {
    const deadline = performance.now() + budgetMs;
    const texts = this.texts;
    while (this.scanned < texts.length) {
      const stop = Math.min(texts.length, this.scanned + 2_000);
      for (let i = this.scanned; i < stop; i++) {
        const text = texts[i];
        if (this.pattern.test(hasAnsi(text) ? stripAnsi(text) : text)) this.matches.push(i);
      }
      this.scanned = stop;
      if (performance.now() > deadline) break;
    }
    return this.done;
  }
}

export type SearchResult = { matches: readonly number[]; count: number; scanning: boolean };

/** The lines matching `query` (empty for none), kept current as the log grows (`version`). */
export function useLogSearch(store: LogStore, query: string, version: number): SearchResult {
  const search = useRef<{ store: LogStore; query: string; search: LogSearch } | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [result, setResult] = useState<SearchResult & { query: string }>({ query: "", matches: [], count: 0, scanning: false });

  useEffect(() => {
    if (!query) return;
    if (search.current?.store !== store || search.current.query !== query) {
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
      search.current = { store, query, search: new LogSearch(store.texts, query) };
    }
    if (timer.current) return;
    const current = search.current;
    const step = () => {
      timer.current = null;
      if (search.current !== current) return;
      const finished = current.search.scan();
      const { matches } = current.search;
      setResult({ query, matches, count: matches.length, scanning: !finished });
      if (!finished) timer.current = setTimeout(step, 0);
    };
    // Scanned a slice at a time off the render, so typing and scrolling stay smooth.
    timer.current = setTimeout(step, 0);
  }, [version, query, store]);

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  if (!query) return { matches: [], count: 0, scanning: false };
  return result.query === query ? result : { matches: [], count: 0, scanning: true };
}
