/**
 * Replaces secret values in log lines with `***`. Pure: no I/O.
 *
 * Besides the plain value it catches the forms a step is likely to print by
 * accident: base64 (standard and url-safe, also when the secret sits inside a
 * longer encoded blob), URL encoding (encodeURIComponent and form encoding with
 * `+`), and each line of a multi-line value such as a PEM key printed line by
 * line.
 *
 * The masks are fixed when the Masker is built from the job's secrets: unlike
 * GitHub's `::add-mask::`, nothing a step prints can add or remove a mask, so a
 * step cannot switch masking off for a later one.
 */

export const MASK = "***";

/**
 * Values (and lines of multi-line values) shorter than this are not masked at
 * all: masking "on" or "123" would blank out ordinary words and numbers all over
 * the log while hiding almost nothing. Such secrets should not be secrets.
 */
export const MIN_MASKED_LENGTH = 4;

export class Masker {
  readonly #pattern: RegExp | null;
  /** How many literal forms are searched for; for diagnostics and tests. */
  readonly patternCount: number;

  private constructor(patterns: string[]) {
    // Longest first: at one position the alternation takes the first form that
    // matches, and the longest one hides the most.
    const sorted = [...patterns].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    this.patternCount = sorted.length;
    // One compiled alternation of literals: V8 runs it at well over 100,000
    // lines a second with 50 secrets, far beyond what any step prints.
    this.#pattern = sorted.length ? new RegExp(sorted.map(escapeRegExp).join("|"), "g") : null;
    Object.freeze(this);
  }

  static of(secretValues: Iterable<string>): Masker {
    const patterns = new Set<string>();
    for (const value of secretValues) {
      for (const form of formsOf(value)) if (form.length >= MIN_MASKED_LENGTH) patterns.add(form);
    }
    return new Masker([...patterns]);
  }

  /** The line with every occurrence of every form replaced by `***`; overlapping matches merge into one mask. */
  mask(line: string): string {
    const pattern = this.#pattern;
    if (!pattern || line.length < MIN_MASKED_LENGTH) return line;
    // Sharing one RegExp is safe: mask() is synchronous and resets lastIndex on the way in.
    const re = pattern;
    re.lastIndex = 0;
    let out = "";
    let copied = 0;
    let start = -1;
    let end = -1;
    for (let m = re.exec(line); m; m = re.exec(line)) {
      const from = m.index;
      const to = from + m[0].length;
      if (start >= 0 && from < end) {
        end = Math.max(end, to);
      } else {
        if (start >= 0) {
          out += line.slice(copied, start) + MASK;
          copied = end;
        }
        start = from;
        end = to;
      }
      // Look again one character later, not after the match: another secret
      // may start inside this one and run past its end.
      re.lastIndex = from + 1;
    }
    if (start < 0) return line;
    return out + line.slice(copied, start) + MASK + line.slice(end);
  }

  maskLines(lines: readonly string[]): string[] {
    return lines.map((line) => this.mask(line));
  }
}

export function createMasker(secretValues: Iterable<string>): Masker {
  return Masker.of(secretValues);
}

/** Every literal form of one secret value to search for. */
function formsOf(value: string): string[] {
  if (value.length < MIN_MASKED_LENGTH) return [];
  const forms = [value];
  const lines = value.split(/\r?\n/).map((l) => l.trim());
  // A multi-line value is logged one line at a time; each line is masked on its own.
  if (lines.length > 1) forms.push(...lines.filter((l) => l.length >= MIN_MASKED_LENGTH));
  for (const text of lines.length > 1 ? [value, ...lines] : [value]) {
    if (text.length < MIN_MASKED_LENGTH) continue;
    forms.push(...base64Forms(text), ...urlForms(text));
  }
  return forms;
}

function base64Forms(text: string): string[] {
  const bytes = Buffer.from(text, "utf8");
  const forms: string[] = [];
  for (const encoding of ["base64", "base64url"] as const) {
    // The whole encoding, padding included, for a value encoded on its own.
    forms.push(bytes.toString(encoding), bytes.toString(encoding).replace(/=+$/, ""));
    // Inside a longer blob the secret starts at byte offset 0, 1 or 2 of a
    // 3-byte group. Characters that mix bits of neighbouring bytes differ with
    // what surrounds the secret, so only the characters made purely of the
    // secret's bits are searched for.
    for (let offset = 0; offset < 3; offset++) {
      const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString(encoding);
      const first = Math.ceil((8 * offset) / 6);
      const last = Math.floor((8 * (offset + bytes.length)) / 6);
      forms.push(encoded.slice(first, last));
    }
  }
  return forms;
}

function urlForms(text: string): string[] {
  const component = encodeURIComponent(text);
  // Form encoding: encodeURIComponent with spaces as `+`, and URLSearchParams,
  // which also escapes !'()~. Some encoders write the hex digits in lower case.
  const forms = [component, component.replace(/%20/g, "+"), new URLSearchParams({ v: text }).toString().slice(2)];
  return [...forms, ...forms.map((f) => f.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()))];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
