/** What `fn` throws (`undefined` when it returns): for tests that look into the error, not only its class. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
