"use client";

import type { KeyboardEvent, RefObject } from "react";
import type { LogStore } from "./log-store";
import styles from "./log-viewer.module.css";

type Props = {
  query: string;
  onQuery: (query: string) => void;
  searchRef: RefObject<HTMLInputElement | null>;
  matchCount: number;
  /** 0-based index of the match shown, or -1. */
  currentMatch: number;
  scanning: boolean;
  onFind: (direction: 1 | -1) => void;
  showTime: boolean;
  onShowTime: (show: boolean) => void;
  rawHref: string;
};

export function LogToolbar({ query, onQuery, searchRef, matchCount, currentMatch, scanning, onFind, showTime, onShowTime, rawHref }: Props) {
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    onFind(event.shiftKey ? -1 : 1);
  };
  const counter = !query ? "" : matchCount === 0 ? (scanning ? "Searching…" : "No matches") : `${currentMatch + 1 || "–"} of ${matchCount.toLocaleString()}${scanning ? "+" : ""}`;
  return (
    <div className={styles.toolbar} role="toolbar" aria-label="Log">
      <input
        ref={searchRef}
        type="search"
        placeholder="Search the log"
        aria-label="Search the log"
        value={query}
        onChange={(e) => onQuery(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <button type="button" onClick={() => onFind(-1)} disabled={matchCount === 0} aria-label="Previous match" title="Previous match (Shift+Enter)">
        ↑
      </button>
      <button type="button" onClick={() => onFind(1)} disabled={matchCount === 0} aria-label="Next match" title="Next match (Enter)">
        ↓
      </button>
      <span aria-live="polite" className={styles.state}>
        {counter}
      </span>
      <span className={styles.spacerFlex} />
      <label>
        <input type="checkbox" checked={showTime} onChange={(e) => onShowTime(e.target.checked)} /> Timestamps
      </label>
      <a className={`button ${styles.link}`} href={rawHref} download>
        Download raw
      </a>
    </div>
  );
}

/** Whether the log is live, how long it is, and how the job ended: the viewer's status bar. */
export function StreamState({ store }: { store: LogStore }) {
  const lines = `${store.length.toLocaleString()} ${store.length === 1 ? "line" : "lines"}`;
  const label =
    store.connection === "live"
      ? `Live · ${lines}`
      : store.connection === "ended"
        ? `${lines} · job ${store.endStatus}`
        : store.connection === "reconnecting"
          ? `Reconnecting… · ${lines}`
          : store.connection === "failed"
            ? "Not streaming"
            : "Connecting…";
  return (
    <span className={`${styles.state} ${store.connection === "live" ? styles.live : ""}`} data-testid="log-state">
      {label}
    </span>
  );
}
