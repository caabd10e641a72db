/**
 * Static-child dispatch: which static child of a trie node a request segment can be, decided by
 * a few of its code units (after its length, where the node has a param child too), and confirmed
 * by one native compare of the whole segment (see `sameText`, and `sameSegment` in trie.ts).
 * Plain data: a table by length (`buildDispatch`) or none (`buildFreeDispatch`), then small
 * decision trees whose inner branches each read one code unit at a fixed offset of the segment.
 *
 * Why not a `Map` on the sliced segment: V8 hashes the slice in a loop over all its characters
 * before it can look anything up (a 36-character uuid: ~100 ns, twice when the request is in
 * another case than the rule), and not comparing in place with `startsWith` at each candidate
 * either: `startsWith` at a position costs ~3–5 ns a character here (~150 ns for 36). The code
 * units that tell a node's keys apart are few (tenant-0000…tenant-0999: three digits; 1,000
 * uuids: about three hex digits), so reading those picks the one candidate in a handful of
 * nanoseconds whatever the names share, and one native compare (~20–35 ns at any length) confirms
 * it — the work find-my-way's radix tree shares between names, without generated code.
 *
 * Case-insensitive tables read each code unit folded as the RegExp `i` flag folds it (a request
 * in another case reaches the same candidate), and confirm in the rule's spelling first, natively,
 * then folded unit by unit only when that fails (see case-fold.ts); a request found re-cased is
 * folded whole once, and its later segments compared natively (trie.ts, `sameSegment`).
 */
import { foldChar } from './case-fold';

/** A branch of a decision tree over one node's static keys (of one length, in `buildDispatch`). */
export interface Branch<T> {
  /** Offset in the segment of the code unit this branch reads; -1 at a leaf. */
  readonly at: number;
  /** The code unit (folded, case-insensitive) of `next[0]`. */
  readonly lo: number;
  /** Sub-branches by code unit minus `lo`; empty at a leaf. */
  readonly next: readonly (Branch<T> | undefined)[];
  /** The sub-branch of a key that ends at `at` (its `/`): taken where the path ends there too. */
  readonly atEnd: Branch<T> | undefined;
  /** At a leaf: the child the segment can be, or null for an inner branch. */
  readonly node: T | null;
  /** The child's text as the rule wrote it (a flat string), compared first. */
  readonly text: string;
  /** The same, folded (equal to `text` in a case-sensitive table). */
  readonly key: string;
  /** No segment but `text` folds to `key` (no letters, or a case-sensitive table): no folded compare. */
  readonly caseless: boolean;
  /** Another leaf to try: keys no offset of a narrow code-unit range tells apart. Rare. */
  readonly more: Branch<T> | null;
}

/** One static child: its key (folded when case-insensitive), its text as written, the node. */
export interface StaticEntry<T> {
  readonly key: string;
  readonly text: string;
  readonly node: T;
}

/**
 * An inner branch's table spans at most this many code units (its keys' lowest to highest at its
 * offset): ASCII names span a few dozen. An offset where keys differ by code units further apart
 * (non-ASCII) is not read; keys told apart only there become a chain of leaves (`more`).
 */
const MAX_SPAN = 256;

/** Segments shorter than this are compared as a slice (V8 copies them: a fast flat compare). */
const SLICE_MAX = 12;

/**
 * The dispatch of a node's static children: index = segment length. `fold`: keys are folded and
 * the walk folds the code units it reads. Entries' keys are distinct (they are a Map's keys).
 */
export function buildDispatch<T>(entries: readonly StaticEntry<T>[], fold: boolean): (Branch<T> | undefined)[] {
  const byLength: StaticEntry<T>[][] = [];
  for (const e of entries) (byLength[e.key.length] ??= []).push(e);
  const out: (Branch<T> | undefined)[] = [];
  // Filled densely: a hole would make the walk's read a slower, holey-array read.
  for (let len = 0; len < byLength.length; len++) out.push(byLength[len] === undefined ? undefined : decide(byLength[len]!, fold));
  return out;
}

/** Scratch for `decide` (building is synchronous): SEEN[c] === generation when c was seen at this offset. */
const SEEN = new Uint32Array(0x10000);
let generation = 0;

/**
 * For a node without a param child: the same decision tree over all its keys, whatever their
 * lengths, reading offsets up to the shortest key's length in each group (where that key's
 * segment must end: `item` and `items` differ at offset 4, `/` against `s`); each leaf is then
 * confirmed with the `/` (or the path's end) right after it. The walk need not search for where
 * the segment ends first (that search cost as much as the compare). Null when some leaf would
 * chain more than two keys (only keys told apart by far-apart non-ASCII units): those go by
 * length first (`buildDispatch`).
 */
export function buildFreeDispatch<T>(entries: readonly StaticEntry<T>[], fold: boolean): Branch<T> | null {
  const root = decide(entries, fold);
  const chainsShort = (b: Branch<T> | undefined): boolean => {
    if (b === undefined) return true;
    if (b.at !== -1) return b.next.every(chainsShort);
    return b.more === null || b.more.more === null;
  };
  return chainsShort(root) ? root : null;
}

/**
 * A decision tree over keys, reading offsets inside the shortest of them (all, when they are as
 * long). Each inner branch splits its keys into ≥ 2 groups.
 */
function decide<T>(entries: readonly StaticEntry<T>[], fold: boolean): Branch<T> {
  if (entries.length === 1) return leaf(entries[0]!, fold, null);
  // Offsets up to the shortest key's length: there, that key reads as a `/` (its segment ends),
  // and a longer one as its next character; further on, what a shorter key's segment is followed
  // by is anything. Keys of one length never differ at their length: offsets inside them only.
  let len = Infinity;
  for (const e of entries) len = Math.min(len, e.key.length);
  // The offset whose code units split the keys into the most groups: fewest reads on average.
  let bestAt = -1;
  let bestCount = 1;
  let bestLo = 0;
  let bestHi = 0;
  for (let at = 0; at <= len; at++) {
    // Distinct code units at `at`, counted with a stamp per code unit (a Set per offset was a
    // sixth of building a table of 1,000 uuids).
    if (generation === 0xffffffff) generation = SEEN.fill(0)[0]!; // wrapped: start over
    const stamp = ++generation;
    let count = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const e of entries) {
      const c = codeAt(e.key, at);
      if (SEEN[c] !== stamp) {
        SEEN[c] = stamp;
        count++;
      }
      if (c < lo) lo = c;
      if (c > hi) hi = c;
    }
    if (count > bestCount && hi - lo < MAX_SPAN) {
      bestAt = at;
      bestCount = count;
      bestLo = lo;
      bestHi = hi;
      if (count === entries.length) break; // every key apart: no offset does better
    }
  }
  if (bestAt === -1) {
    // No narrow offset tells them apart: try each (keys as long differing only in far-apart
    // non-ASCII units, or keys of other lengths equal up to the shortest).
    let chain: Branch<T> | null = null;
    for (let i = entries.length - 1; i >= 0; i--) chain = leaf(entries[i]!, fold, chain);
    return chain!;
  }
  const groups: StaticEntry<T>[][] = [];
  for (const e of entries) (groups[codeAt(e.key, bestAt) - bestLo] ??= []).push(e);
  const next: (Branch<T> | undefined)[] = [];
  for (let i = 0; i <= bestHi - bestLo; i++) next.push(groups[i] === undefined ? undefined : decide(groups[i]!, fold));
  const atEnd = SLASH >= bestLo && SLASH <= bestHi ? next[SLASH - bestLo] : undefined;
  return { at: bestAt, lo: bestLo, next, atEnd, node: null, text: '', key: '', caseless: true, more: null };
}

/** A key's code unit at `at`, or `/` just past its end (keys hold no `/`). */
function codeAt(key: string, at: number): number {
  return at < key.length ? key.charCodeAt(at) : SLASH;
}
/** What a segment's end reads as: its `/` (past the path's end, the walk takes `atEnd`). */
const SLASH = 0x2f;

function leaf<T>(e: StaticEntry<T>, fold: boolean, more: Branch<T> | null): Branch<T> {
  return { at: -1, lo: 0, next: NO_NEXT, atEnd: undefined, node: e.node, text: e.text, key: e.key, caseless: !fold || isCaseless(e.key, e.text), more };
}
const NO_NEXT: readonly never[] = [];

/**
 * No segment but `text` itself folds to `key`: every code unit of the text folds to itself and
 * lower-cases to itself (digits, `-`, `.`…). No code unit outside the text folds onto such a one:
 * checked over every UTF-16 code unit in test/static-dispatch.test.ts. Why not a regexp for
 * "no letters": it ran on every leaf, a third of building a dispatch.
 */
function isCaseless(key: string, text: string): boolean {
  return key === text && text.toLowerCase() === text;
}

/**
 * The code unit at `i` of `text`, folded as the RegExp `i` flag folds it. Hot path: ASCII letters
 * without a call.
 */
export function foldedCode(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0x61 && c <= 0x7a) return c - 0x20;
  return c > 0x7f ? foldChar(text[i]!).charCodeAt(0) : c;
}

/**
 * Is `path[start, end)` (as long as `text`) `text`? Natively: a slice compared whole for short
 * texts (V8 copies a short slice, then compares it by words), `indexOf` at the position for long
 * ones (a long slice is a view, compared through a slower generic path: 36 characters ~50 ns,
 * `indexOf` ~35). When the text is not at `start`, `indexOf` searches on through the rest of the
 * path: linear in the path, as finding the segment's end is already.
 */
export function sameText(path: string, start: number, end: number, text: string): boolean {
  return end - start <= SLICE_MAX ? path.slice(start, end) === text : path.indexOf(text, start) === start;
}

/** Does `path` hold `key` (folded) at `start`, each code unit folded as the RegExp `i` flag folds it? */
export function sameFolded(path: string, start: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) if (foldedCode(path, start + i) !== key.charCodeAt(i)) return false;
  return true;
}
