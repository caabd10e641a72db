/**
 * Every ```ts block of the README (and of each package's README) compiles as written: strict, as
 * an ES module (`.mts`, NodeNext), with the workspace packages imported by name (mapped to their
 * sources, as the root tsconfig does, so no build is needed). A block declares whatever it uses
 * (`app`, a table) itself, in a line or two the reader sees. All blocks are checked in one program,
 * each as its own module; a failure names the document and the line in it.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..', '..', '..');
const documents = ['README.md', ...['core', 'dynamic', 'express', 'openapi', 'cli', 'redis'].map((p) => `packages/${p}/README.md`)];

interface Snippet {
  /** `README.md:113`: the document and the line of its opening fence. */
  readonly name: string;
  readonly document: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly source: string;
  /** Where the program sees it (never written to disk). */
  readonly file: string;
}

/** The ```ts blocks of a Markdown text (fences at the start of a line). */
function tsBlocks(markdown: string): { line: number; source: string }[] {
  const lines = markdown.split('\n');
  const blocks: { line: number; source: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\s*$/.test(lines[i]!)) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`unclosed \`\`\`ts block at line ${i + 1}`);
    blocks.push({ line: i + 1, source: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

const snippets: Snippet[] = documents.flatMap((document) =>
  tsBlocks(readFileSync(join(root, document), 'utf8')).map(({ line, source }) => ({
    name: `${document}:${line}`,
    document,
    line,
    // `export {}` keeps each block a module of its own even if it imports nothing.
    source: `${source}\nexport {};\n`,
    file: join(root, '.readme-snippets', `${document.replace(/[/.]/g, '_')}_${line}.mts`),
  })),
);

let diagnostics: Map<string, string[]>;

beforeAll(() => {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    esModuleInterop: true,
    isolatedModules: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    paths: { '@scopegate/*': [join(root, 'packages/*/src/index.ts')] },
  };
  const host = ts.createCompilerHost(options);
  const virtual = new Map(snippets.map((s) => [s.file, s.source]));
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (file, languageVersion, ...rest) => {
    const text = virtual.get(file);
    return text !== undefined ? ts.createSourceFile(file, text, languageVersion, true) : getSourceFile(file, languageVersion, ...rest);
  };
  host.fileExists = (file) => virtual.has(file) || fileExists(file);
  host.readFile = (file) => virtual.get(file) ?? readFile(file);
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  diagnostics = new Map();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const snippet = snippets.find((s) => s.file === d.file?.fileName);
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    let where = d.file ? relative(root, d.file.fileName) : '(program)';
    if (d.file && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      where = snippet ? `${snippet.document}:${snippet.line + 1 + line}:${character + 1}` : `${where}:${line + 1}:${character + 1}`;
    }
    // Errors inside the sources are `npm run typecheck`'s to report; options errors are kept.
    if (d.file && !snippet) continue;
    const key = snippet?.file ?? '';
    diagnostics.set(key, [...(diagnostics.get(key) ?? []), `${where} TS${d.code}: ${message}`]);
  }
}, 120_000);

test('the README has TypeScript snippets, and every package README one at least', () => {
  expect(snippets.filter((s) => s.document === 'README.md').length).toBeGreaterThanOrEqual(7);
  for (const p of ['core', 'dynamic', 'express', 'openapi', 'redis']) {
    expect(snippets.some((s) => s.document === `packages/${p}/README.md`)).toBe(true);
  }
});

test.each(snippets.map((s) => [s.name, s] as const))('%s compiles under strict', (_name, snippet) => {
  expect(diagnostics.get(snippet.file) ?? []).toEqual([]);
});

test('the compiler options are valid', () => {
  expect(diagnostics.get('') ?? []).toEqual([]);
});

test('the extractor finds fenced ts blocks only, with their lines', () => {
  expect(tsBlocks('a\n```ts\nconst x = 1;\n```\n```sh\nls\n```\n```ts\nlet y;\n```\n')).toEqual([
    { line: 2, source: 'const x = 1;' },
    { line: 8, source: 'let y;' },
  ]);
  expect(() => tsBlocks('```ts\nopen')).toThrow(/unclosed/);
});
