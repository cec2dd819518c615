import { describe, expect, it } from "vitest";
import { MASK, Masker, MIN_MASKED_LENGTH } from "./mask";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const b64url = (s: string) => Buffer.from(s, "utf8").toString("base64url");

const PEM = [
  "-----BEGIN PRIVATE KEY-----",
  "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
  "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
  "ab",
  "-----END PRIVATE KEY-----",
].join("\n");

describe("Masker", () => {
  const cases: { name: string; secrets: string[]; line: string; expected: string }[] = [
    { name: "a plain value", secrets: ["hunter22"], line: "password: hunter22", expected: `password: ${MASK}` },
    { name: "every occurrence", secrets: ["hunter22"], line: "hunter22/hunter22 hunter22", expected: `${MASK}/${MASK} ${MASK}` },
    { name: "regex characters in the value", secrets: ["a.b*c(d)[e]$1\\"], line: "x=a.b*c(d)[e]$1\\;", expected: `x=${MASK};` },
    { name: "a value inside a word", secrets: ["s3cr3t"], line: "preS3cr3t-s3cr3tpost", expected: `preS3cr3t-${MASK}post` },
    { name: "base64 of the value", secrets: ["hunter22"], line: `Basic ${b64("hunter22")}`, expected: `Basic ${MASK}` },
    { name: "base64 with padding", secrets: ["hunter2"], line: `auth=${b64("hunter2")};`, expected: `auth=${MASK};` },
    { name: "url-safe base64", secrets: ["s3cr3t>>>???x"], line: `token ${b64url("s3cr3t>>>???x")}`, expected: `token ${MASK}` },
    { name: "standard base64 with + and /", secrets: ["s3cr3t>>>???x"], line: `token ${b64("s3cr3t>>>???x")}`, expected: `token ${MASK}` },
    { name: "encodeURIComponent", secrets: ["p@ss w/rd&x"], line: `GET /login?pw=${encodeURIComponent("p@ss w/rd&x")}`, expected: `GET /login?pw=${MASK}` },
    { name: "form encoding with +", secrets: ["p@ss w/rd&x"], line: "body: pw=p%40ss+w%2Frd%26x&next=1", expected: `body: pw=${MASK}&next=1` },
    { name: "URLSearchParams encoding", secrets: ["it's (fine)!"], line: `q=${new URLSearchParams({ q: "it's (fine)!" }).toString().slice(2)}`, expected: `q=${MASK}` },
    { name: "lower-case percent escapes", secrets: ["p@ss/w"], line: "pw=p%40ss%2fw", expected: `pw=${MASK}` },
    { name: "a PEM line on its own", secrets: [PEM], line: "  MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu", expected: `  ${MASK}` },
    { name: "the PEM header line", secrets: [PEM], line: "-----BEGIN PRIVATE KEY-----", expected: MASK },
    { name: "short lines of a multi-line value are left alone", secrets: [PEM], line: "ab cd", expected: "ab cd" },
    { name: "values shorter than the minimum are ignored", secrets: ["abc"], line: "abc abcabc", expected: "abc abcabc" },
    { name: "overlapping secrets mask as one", secrets: ["abcdef", "defghi"], line: "xxabcdefghixx", expected: `xx${MASK}xx` },
    { name: "a secret containing another", secrets: ["token", "token-extended"], line: "token-extended!", expected: `${MASK}!` },
    { name: "a shorter secret starting later inside a longer one", secrets: ["1234567890", "7890abcd"], line: "<1234567890abcd>", expected: `<${MASK}>` },
    { name: "adjacent secrets stay separate", secrets: ["left", "right"], line: "leftright", expected: `${MASK}${MASK}` },
    { name: "lines without secrets are unchanged", secrets: ["hunter22"], line: "npm ci --no-audit", expected: "npm ci --no-audit" },
    { name: "unicode values", secrets: ["pässwörd-☃"], line: `a=pässwörd-☃ b=${b64("pässwörd-☃")}`, expected: `a=${MASK} b=${MASK}` },
  ];

  it.each(cases)("masks $name", ({ secrets, line, expected }) => {
    expect(Masker.of(secrets).mask(line)).toBe(expected);
  });

  it("catches a secret inside a longer base64 blob at every byte alignment", () => {
    const secret = "correct horse battery staple";
    const masker = Masker.of([secret]);
    for (let before = 0; before < 6; before++) {
      for (let after = 0; after < 4; after++) {
        const blob = b64(`${"x".repeat(before)}${secret}${"y".repeat(after)}`);
        const masked = masker.mask(`payload ${blob} end`);
        expect(masked, `prefix ${before}, suffix ${after}`).toContain(MASK);
        // At most the two characters on each side that mix in the neighbours' bits stay.
        expect(masked.length).toBeLessThanOrEqual(`payload  end`.length + MASK.length + Math.ceil((before * 4) / 3) + Math.ceil((after * 4) / 3) + 6);
      }
    }
  });

  it("masks a multi-line value printed whole", () => {
    expect(Masker.of([PEM]).mask(PEM)).toBe(MASK);
  });

  it("cannot be changed after it is built, whatever a step prints", () => {
    const masker = Masker.of(["hunter22"]);
    expect(Object.isFrozen(masker)).toBe(true);
    const count = masker.patternCount;
    masker.mask("::add-mask::another-secret");
    expect(masker.mask("another-secret")).toBe("another-secret");
    expect(masker.patternCount).toBe(count);
  });

  it("with no secrets (or only short ones) returns lines as they are", () => {
    expect(Masker.of([]).mask("hello")).toBe("hello");
    expect(Masker.of(["x".repeat(MIN_MASKED_LENGTH - 1)]).patternCount).toBe(0);
  });

  it("masks 100,000 lines with 50 secrets correctly", () => {
    const secrets = Array.from({ length: 50 }, (_, i) => `S${i}-${Buffer.from(`secret value number ${i} !`).toString("hex").slice(0, 24)}`);
    const masker = Masker.of(secrets);
    const forms = [(s: string) => s, b64, b64url, encodeURIComponent];
    let maskedLines = 0;
    for (let i = 0; i < 100_000; i++) {
      const plain = `2024-05-01T10:00:${String(i % 60).padStart(2, "0")}Z step ${i}: compiled module ${i * 7} in ${i % 97}ms`;
      if (i % 10 === 0) {
        const secret = secrets[i % 50];
        const line = `${plain} env=${forms[(i / 10) % forms.length](secret)}`;
        const masked = masker.mask(line);
        expect(masked.endsWith(`env=${MASK}`)).toBe(true);
        expect(masked).not.toContain(secret);
        maskedLines++;
      } else {
        const masked = masker.mask(plain);
        if (masked !== plain) expect.fail(`line ${i} changed without a secret: ${masked}`);
      }
    }
    expect(maskedLines).toBe(10_000);
  });
});
