"use client";

import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { LogRow } from "./log-row";
import { useLogSearch } from "./log-search";
import type { LogStore } from "./log-store";
import { LogToolbar, StreamState } from "./log-toolbar";
import styles from "./log-viewer.module.css";
import { useDebounced } from "./use-debounced";
import { useHashLine } from "./use-hash-line";
import { useLogStream, useStoreVersion } from "./use-log-stream";
import { useVirtualRows } from "./use-virtual-rows";

const ROW_PX = 20;

type Props = {
  jobId: string;
  /** The job's attempt: when it changes, the log is streamed again from where it stopped. */
  attempt: number;
  label: string;
  /** What to say while the log is still empty. */
  waiting?: string;
};

/**
 * A job's log, live: follows the end while scrolled to the bottom, virtualised
 * so a million lines stay responsive, with ANSI colours, #L links to lines,
 * search over the whole log, timestamps and a raw download.
 */
export function LogViewer({ jobId, attempt, label, waiting }: Props) {
  const store = useLogStream(jobId, attempt);
  const version = useStoreVersion(store);
  const scroller = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const following = useRef(true);
  const [showTime, setShowTime] = useState(false);
  const [query, setQuery] = useState("");
  const settledQuery = useDebounced(query, 200);
  const search = useLogSearch(store, settledQuery, version);
  // The match moved to belongs to one query; a new query starts with none.
  const [position, setPosition] = useState({ query: "", index: -1 });
  const current = position.query === settledQuery ? position.index : -1;
  const rows = useVirtualRows(scroller, store.length, ROW_PX);
  const { scrollToEnd, scrollToIndex } = rows;
  const hashLine = useHashLine();
  const linkedTo = useRef<number | null>(null);
  const pattern = useMemo(() => (settledQuery ? new RegExp(settledQuery.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi") : null), [settledQuery]);

  // Follows the end: runs before paint on every frame with new lines, so the newest line is what shows.
  useLayoutEffect(() => {
    if (following.current) scrollToEnd();
  }, [version, scrollToEnd]);

  // A #L link scrolls to its line once the line has arrived, and stops following the end.
  useEffect(() => {
    if (hashLine === null || linkedTo.current === hashLine || store.length <= hashLine) return;
    linkedTo.current = hashLine;
    following.current = false;
    scrollToIndex(hashLine);
  }, [hashLine, version, store, scrollToIndex]);

  const onScroll = () => {
    // Only the person's own scrolling starts or stops following the end; scrolling done here (following, a #L link) does not.
    if (!rows.onScroll()) return;
    const el = scroller.current!;
    following.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_PX;
  };

  const jumpToEnd = () => {
    following.current = true;
    scrollToEnd();
  };

  const find = (direction: 1 | -1) => {
    if (search.count === 0) return;
    const index = current < 0 ? (direction === 1 ? 0 : search.count - 1) : (current + direction + search.count) % search.count;
    setPosition({ query: settledQuery, index });
    following.current = false;
    scrollToIndex(search.matches[index]);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    // The browser's own find sees only the rows on screen; inside the log, search the whole of it.
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "f") {
      event.preventDefault();
      searchRef.current?.focus();
      searchRef.current?.select();
    }
  };

  const currentLine = current >= 0 ? search.matches[current] : -1;
  const visible = [];
  for (let i = rows.first; i < rows.last; i++) {
    visible.push(
      <LogRow
        // Keyed by slot, not by line: as the window moves, rows keep their DOM nodes and only change content.
        key={i % 512}
        index={i}
        text={store.texts[i]}
        at={store.times[i]}
        top={rows.offsetOf(i)}
        showTime={showTime}
        linked={i === hashLine}
        current={i === currentLine}
        pattern={pattern}
      />,
    );
  }

  return (
    <section className={styles.viewer} aria-label={label} onKeyDown={onKeyDown}>
      <LogToolbar
        query={query}
        onQuery={setQuery}
        searchRef={searchRef}
        matchCount={search.count}
        currentMatch={current}
        scanning={search.scanning}
        onFind={find}
        showTime={showTime}
        onShowTime={setShowTime}
        rawHref={`/api/jobs/${jobId}/log/raw`}
      />
      <div className={styles.frame}>
        <div
          ref={scroller}
          className={styles.scroller}
          // As tall as the log up to most of the screen: a short log gets no empty panel below it.
          style={{ height: `clamp(160px, ${store.length * ROW_PX + 16}px, min(65vh, 720px))` }}
          onScroll={onScroll}
          tabIndex={0}
          role="log"
          aria-live="off"
          aria-label={`${label}: lines`}
          data-testid="log-lines"
        >
          <div className={styles.spacer} style={{ height: rows.height, width: `max(100%, calc(${store.widest}ch + ${showTime ? 12 : 6}rem))` }}>
            {visible}
          </div>
          {store.length === 0 && <div className={styles.empty}>{emptyMessage(store, waiting)}</div>}
        </div>
        {!rows.atEnd && store.length > 0 && (
          <button type="button" className={`primary ${styles.jump}`} onClick={jumpToEnd}>
            Jump to end ↓
          </button>
        )}
      </div>
      <div className={styles.footer}>
        <StreamState store={store} />
        <span>Ctrl+F searches the whole log · click a line number to link to it</span>
      </div>
    </section>
  );
}

function emptyMessage(store: LogStore, waiting?: string): string {
  if (store.connection === "failed") return store.problem ?? "The log could not be opened.";
  if (store.connection === "ended") return "This job wrote no log.";
  if (store.connection === "connecting") return "Opening the log…";
  return waiting ?? "Waiting for the first line…";
}
