import { join } from 'node:path';
import type { Config } from 'jest';

/**
 * One config for the whole repo: a jest project per package. TypeScript is transpiled by ts-jest
 * (type checking is `npm run typecheck`, run before the tests). Tests import the packages by name;
 * the mapper points those names at the sources so a test never runs stale `dist/` code (the
 * packaging test checks the built `dist/` separately). `jose` ships ESM only, so it is
 * transpiled to CommonJS too, like our own files.
 */
const projects: [name: string, dir: string][] = [
  ['core', 'packages/core'],
  ['dynamic', 'packages/dynamic'],
  ['express', 'packages/express'],
  ['openapi', 'packages/openapi'],
  ['cli', 'packages/cli'],
  ['redis', 'packages/redis'],
  ['gateway', 'examples/gateway'],
];

const project = ([name, dir]: [string, string]): Config => ({
  displayName: name,
  rootDir: join(__dirname, dir),
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    // Transpile only (types are checked by tsc); CommonJS for jest's module system.
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { target: 'es2022', module: 'commonjs', allowJs: true, isolatedModules: true, esModuleInterop: true, sourceMap: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleNameMapper: { '^@scopegate/(core|dynamic|express|openapi|cli|redis)$': join(__dirname, 'packages/$1/src/index.ts') },
});

const config: Config = {
  projects: projects.map(project),
  testTimeout: 20_000,
};

export default config;
