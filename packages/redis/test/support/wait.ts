/** Bounded waiting for the Redis tests: every wait has a deadline. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Poll `check` every 2 ms until it holds (a check that throws counts as not yet); the ms waited.
 * Throws, naming `what`, after `timeoutMs`.
 */
export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<number> {
  const started = Date.now();
  for (;;) {
    let ok = false;
    try {
      ok = check();
    } catch {
      ok = false;
    }
    if (ok) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await sleep(2);
  }
}

/** Resolve with `promise`'s outcome, or reject once `ms` have passed without one. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
