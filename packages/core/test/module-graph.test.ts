/**
 * No module imports in a circle, in any package: each file's relative imports (type imports
 * included) form a graph without cycles, so every module can be read after what it builds on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const sources = [...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'src')), join(root, 'examples', 'gateway', 'src')];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function cycleIn(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done') return null;
    if (state.get(file) === 'open') return [...stack.slice(stack.indexOf(file)), file];
    state.set(file, 'open');
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of graph.keys()) {
    const found = visit(file);
    if (found) return found;
  }
  return null;
}

test.each(sources.map((dir) => [dir.slice(root.length + 1)]))('%s: no import circles', (dir) => {
  const graph = new Map<string, string[]>();
  for (const file of files(join(root, dir))) {
    const deps = [...readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((m) => resolve(dirname(file), m[1]!) + '.ts');
    graph.set(file, deps);
  }
  expect(graph.size).toBeGreaterThan(1);
  expect(cycleIn(graph)?.map((f) => f.slice(root.length + 1)) ?? null).toBeNull();
});

test('the check finds a circle when there is one', () => {
  expect(cycleIn(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
});
