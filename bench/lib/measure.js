'use strict';
/**
 * Timing helpers. Figures are medians of many samples; each sample times a batch of operations
 * with process.hrtime.bigint(). Absolute times drift with the machine: compare ratios taken in
 * the same run.
 */

/** ns per operation of a synchronous fn(i), median over `samples` batches of `batch` calls. */
function timeSync(fn, { samples = 30, batch = 1000, warmup = 3 } = {}) {
  for (let w = 0; w < warmup; w++) for (let i = 0; i < batch; i++) fn(i);
  const per = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn(i);
    per.push(Number(process.hrtime.bigint() - start) / batch);
  }
  return summarize(per);
}

/** ns per operation of an async fn(i), awaited one after another. */
async function timeAsync(fn, { samples = 20, batch = 200, warmup = 2 } = {}) {
  for (let w = 0; w < warmup; w++) for (let i = 0; i < batch; i++) await fn(i);
  const per = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) await fn(i);
    per.push(Number(process.hrtime.bigint() - start) / batch);
  }
  return summarize(per);
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[sorted.length >> 1], min: sorted[0], max: sorted[sorted.length - 1], samples: sorted.length };
}

/**
 * Interleave the measurement of several fns (A B C, then C B A, …) so drift hits them alike. Each
 * name gets its summary and `perRound`: its median in each round, for ratios taken round by round.
 */
function timeInterleaved(fns, { rounds = 5, ...options } = {}) {
  const runs = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  const names = Object.keys(fns);
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const m = timeSync(fns[name], { ...options, samples: Math.max(1, Math.ceil((options.samples ?? 30) / rounds)) });
      runs[name].push(m.median);
    }
  }
  return Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, { ...summarize(v), perRound: v }]));
}

/**
 * a / b from two timeInterleaved results, round by round: the median of the per-round ratios and
 * their range. Each ratio compares times taken moments apart, so the machine's drift between
 * rounds (2× here at times) cancels, as it does not in a ratio of two medians.
 */
function roundRatio(a, b) {
  const ratios = a.perRound.map((x, i) => x / b.perRound[i]);
  const s = summarize(ratios);
  return { ratio: s.median, min: s.min, max: s.max };
}

function formatNs(ns) {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

module.exports = { timeSync, timeAsync, timeInterleaved, roundRatio, summarize, formatNs };
