/**
 * Full-text search for scripts written without spaces between words (Chinese, Japanese, Korean).
 *
 * PostgreSQL's parser splits text into words at spaces and punctuation, so "明天的会议在三点" is one word and a
 * search for "会议" found nothing. Characters of these scripts are indexed one by one instead (the stored search
 * vector puts a space around each), and a run of them in a query becomes a phrase of single characters, which
 * matches exactly where those characters stand side by side: a substring search for these scripts. Latin,
 * Cyrillic and other spaced scripts are untouched. Thai and other unspaced scripts with combining marks are not
 * split: their marks are not characters of their own.
 */

/** Code point ranges indexed one character at a time. */
const SEGMENTED_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x11ff], // Hangul Jamo
  [0x3040, 0x30ff], // Hiragana, Katakana
  [0x3130, 0x318f], // Hangul Compatibility Jamo
  [0x31f0, 0x31ff], // Katakana Phonetic Extensions
  [0x3400, 0x4dbf], // CJK Unified Ideographs Extension A
  [0x4e00, 0x9fff], // CJK Unified Ideographs
  [0xa960, 0xa97f], // Hangul Jamo Extended-A
  [0xac00, 0xd7ff], // Hangul Syllables, Hangul Jamo Extended-B
  [0xf900, 0xfaff], // CJK Compatibility Ideographs
  [0xff66, 0xff9f], // Halfwidth Katakana
  [0x20000, 0x3ffff], // Supplementary and Tertiary Ideographic Planes (Extensions B-H)
];

function hex(codePoint: number, width: number): string {
  return codePoint.toString(16).toUpperCase().padStart(width, '0');
}

/** The ranges as a PostgreSQL regular expression bracket expression (`\uXXXX`, `\UXXXXXXXX` escapes). */
function sqlCharacterClass(): string {
  const escape = (codePoint: number): string =>
    codePoint > 0xffff ? `\\U${hex(codePoint, 8)}` : `\\u${hex(codePoint, 4)}`;
  return `[${SEGMENTED_RANGES.map(([low, high]) => `${escape(low)}-${escape(high)}`).join('')}]`;
}

const JS_CHARACTER_CLASS = `[${SEGMENTED_RANGES.map(([low, high]) => `\\u{${hex(low, 4)}}-\\u{${hex(high, 4)}}`).join('')}]`;
/** Every such character (for replace), and any one (for test: a global regex would carry state between calls). */
const SEGMENTED_CHARACTERS = new RegExp(JS_CHARACTER_CLASS, 'gu');
const SEGMENTED_CHARACTER = new RegExp(JS_CHARACTER_CLASS, 'u');

/**
 * The expression of `messages.search_vector`. It must stay exactly as the latest migration that sets the
 * column wrote it (TypeORM compares the text; the schema check fails on any difference).
 */
export const SEARCH_VECTOR_EXPRESSION =
  `to_tsvector('simple'::regconfig, regexp_replace(coalesce("content", ''), ` +
  `'(${sqlCharacterClass()})', ' \\1 ', 'g'))`;

/** Puts a space around each character of the segmented scripts, as the stored search vector does. */
function spaceOut(text: string): string {
  return text.replace(SEGMENTED_CHARACTERS, ' $& ').replace(/ {2,}/g, ' ');
}

function hasSegmented(text: string): boolean {
  return SEGMENTED_CHARACTER.test(text);
}

/**
 * A search as typed (web-search syntax: `"phrase"`, `or`, `-word`) rewritten for `websearch_to_tsquery` over
 * that vector: inside a quoted phrase the segmented characters are spaced out (the phrase keeps them
 * adjacent); outside, each word holding any becomes a quoted phrase of its own (`会议` → `"会 议"`, `-会议` →
 * `-"会 议"`), so its characters must stand together, in order, and a leading `-` still excludes it.
 */
export function searchQueryText(query: string): string {
  if (!hasSegmented(query)) return query;
  return query
    .split('"')
    .map((part, index) =>
      index % 2 === 1
        ? spaceOut(part)
        : part.replace(/\S+/g, (word) => {
            if (!hasSegmented(word)) return word;
            const excluded = word.startsWith('-');
            return `${excluded ? '-' : ''}"${spaceOut(excluded ? word.slice(1) : word).trim()}"`;
          }),
    )
    .join('"');
}
