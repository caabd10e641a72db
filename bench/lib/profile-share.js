'use strict';
/**
 * The share of a process's busy time spent in one middleware's own work, from a V8 CPU profile
 * (`node --cpu-prof`): samples under the middleware's frames, minus what it calls through the
 * router's `next` (the rest of the app). Numerator and denominator come from the same samples, so
 * a busy neighbour on a shared machine slows both alike: a steadier figure than requests/s.
 */

/**
 * @param profile a parsed .cpuprofile
 * @param fnName the middleware's function name
 * @param isRestOfApp (callFrame) => true for frames that are the rest of the app (not counted)
 * @returns { share, ownMs, busyMs } share = own / busy; busy excludes `(idle)` samples
 */
function middlewareShare(profile, fnName, isRestOfApp) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    if (byId.get(id).callFrame.functionName !== '(idle)') busy += dt;
  }
  let own = 0;
  // Iterative walks: profiles of a server under load are deep.
  const stack = [[profile.nodes[0], false]];
  while (stack.length > 0) {
    const [node, inside] = stack.pop();
    const frame = node.callFrame;
    if (inside && isRestOfApp(frame)) continue;
    const nowInside = inside || frame.functionName === fnName;
    if (nowInside) own += self.get(node.id) ?? 0;
    for (const child of node.children ?? []) stack.push([byId.get(child), nowInside]);
  }
  return { share: busy > 0 ? own / busy : 0, ownMs: own / 1000, busyMs: busy / 1000 };
}

module.exports = { middlewareShare };
