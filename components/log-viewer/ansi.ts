import Anser from "anser";

/**
 * ANSI escapes as build tools print them, read with anser: SGR colours (the
 * 16 named ones as palette indexes so they follow the theme, 256-colour and
 * truecolor as RGB), bold, dim, italic, underline, strikethrough and inverse.
 * anser drops cursor moves and erase-line but keeps OSC sequences (titles,
 * hyperlinks) and carriage returns, so those two are handled here: OSC is
 * dropped, and a carriage return starts the line again, as a terminal shows
 * progress bars.
 */

export type AnsiStyle = {
  /** 0-15 for the named colours, or an "rgb(…)" string. */
  fg?: number | string;
  bg?: number | string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  strike?: boolean;
  inverse?: boolean;
};

export type AnsiSegment = { text: string; style: AnsiStyle };

// eslint-disable-next-line no-control-regex
const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g;
// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;:]*m/g;
const NAMED = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

export function hasAnsi(text: string): boolean {
  return text.includes("\x1b") || text.includes("\r");
}

/** The text without escapes, as people read it (for search, copying and width). */
export function stripAnsi(text: string): string {
  if (!hasAnsi(text)) return text;
  return parseAnsi(text)
    .map((s) => s.text)
    .join("");
}

export function parseAnsi(text: string): AnsiSegment[] {
  if (!hasAnsi(text)) return text ? [{ text, style: {} }] : [];
  const chunks = Anser.ansiToJson(visibleLine(text.replace(OSC, "")), { json: true, remove_empty: true, use_classes: true });
  return chunks.map((chunk) => ({ text: chunk.content, style: styleOf(chunk) }));
}

/** What a carriage return leaves: the text after the last one (a trailing one, as CRLF output ends, changes nothing), in the colours set before it. */
function visibleLine(text: string): string {
  const pieces = text.split("\r");
  if (pieces.at(-1) === "") pieces.pop();
  if (pieces.length <= 1) return pieces[0] ?? "";
  const earlierColours = pieces.slice(0, -1).join("").match(SGR)?.join("") ?? "";
  return earlierColours + pieces.at(-1);
}

function styleOf(chunk: Anser.AnserJsonEntry): AnsiStyle {
  const style: AnsiStyle = {};
  const fg = colour(chunk.fg, chunk.fg_truecolor);
  const bg = colour(chunk.bg, chunk.bg_truecolor);
  if (fg !== undefined) style.fg = fg;
  if (bg !== undefined) style.bg = bg;
  for (const decoration of chunk.decorations) {
    if (decoration === "bold") style.bold = true;
    else if (decoration === "dim") style.dim = true;
    else if (decoration === "italic") style.italic = true;
    else if (decoration === "underline") style.underline = true;
    else if (decoration === "strikethrough") style.strike = true;
    else if (decoration === "reverse") style.inverse = true;
  }
  return style;
}

/** anser's class for a colour ("ansi-red", "ansi-bright-red", "ansi-palette-N", "ansi-truecolor") as a palette index or an RGB string. */
function colour(klass: string | null, truecolor: string | null): number | string | undefined {
  if (!klass) return undefined;
  if (klass === "ansi-truecolor") return truecolor ? `rgb(${truecolor})` : undefined;
  const indexed = /^ansi-palette-(\d+)$/.exec(klass);
  if (indexed) return `rgb(${paletteRgb(Number(indexed[1]))})`;
  const bright = klass.startsWith("ansi-bright-");
  const index = NAMED.indexOf(klass.slice(bright ? "ansi-bright-".length : "ansi-".length));
  return index < 0 ? undefined : index + (bright ? 8 : 0);
}

/** The RGB of a 256-colour palette entry, as anser renders it without classes. */
function paletteRgb(index: number): string {
  return Anser.ansiToJson(`\x1b[38;5;${index}m.`, { json: true, remove_empty: true })[0].fg;
}
