/**
 * A small seeded PRNG (mulberry32) so property tests are reproducible from their seed: the one
 * the bench's table shapes use (bench/lib/table-shapes.js, plain CommonJS), typed here.
 */
export interface Random {
  next(): number;
  int(min: number, max: number): number;
  bool(): boolean;
  pick<T>(list: readonly T[]): T;
}

// A .js module without declarations: required, and typed here.
const lib = require('../../../../bench/lib/table-shapes') as { makeRandom(seed: number): Random };

export const makeRandom: (seed: number) => Random = lib.makeRandom;
