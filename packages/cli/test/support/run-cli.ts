/** The real `scopegate` binary for tests: run it in a child process, with scratch files beside. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = join(__dirname, '..', '..', '..', '..');
export const bin = join(root, 'packages', 'cli', 'bin', 'scopegate.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A scratch directory, and a writer of files into it (returns the path). */
export function scratch(prefix: string): { dir: string; file(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
  };
}

/** Run the binary with `args` (no colour), at most 15 s. */
export const run = (...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
