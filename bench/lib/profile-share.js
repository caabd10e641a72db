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
 * @returns { share, gcShare, ownMs, busyMs } share = own / busy; gcShare = garbage collection /
 *   busy; busy excludes `(idle)` samples
 */
function middlewareShare(profile, fnName, isRestOfApp) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let busy = 0;
  let gc = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    const name = byId.get(id).callFrame.functionName;
    if (name !== '(idle)') busy += dt;
    if (name === '(garbage collector)') gc += dt;
  }
  let own = 0;
  walkOwn(profile.nodes[0], (node) => (node.children ?? []).map((id) => byId.get(id)), fnName, isRestOfApp, (node, inside) => {
    if (inside) own += self.get(node.id) ?? 0;
  });
  return { share: busy > 0 ? own / busy : 0, gcShare: busy > 0 ? gc / busy : 0, ownMs: own / 1000, busyMs: busy / 1000 };
}

/**
 * The share of the bytes a process allocated that one middleware allocated itself, from V8's
 * sampling heap profiler run with the collected objects kept (HeapProfiler.startSampling with
 * includeObjectsCollectedByMinorGC/MajorGC): the same walk as middlewareShare, over sizes.
 * @returns { share, ownBytes, totalBytes }
 */
function allocationShare(heapProfile, fnName, isRestOfApp) {
  let own = 0;
  let total = 0;
  walkOwn(heapProfile.head, (node) => node.children ?? [], fnName, isRestOfApp, (node, inside) => {
    total += node.selfSize;
    if (inside) own += node.selfSize;
  });
  return { share: total > 0 ? own / total : 0, ownBytes: own, totalBytes: total };
}

/**
 * Every node of a profile tree, each with whether it is the middleware's own work: under a frame
 * named `fnName` and not under the rest of the app below it. Iterative: profiles of a server
 * under load are deep.
 */
function walkOwn(root, childrenOf, fnName, isRestOfApp, visit) {
  const stack = [[root, false]];
  while (stack.length > 0) {
    const [node, inside] = stack.pop();
    const own = inside ? !isRestOfApp(node.callFrame) : node.callFrame.functionName === fnName;
    visit(node, own);
    for (const child of childrenOf(node)) stack.push([child, own]);
  }
}

module.exports = { middlewareShare, allocationShare };
