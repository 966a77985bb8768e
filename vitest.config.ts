import ts from 'typescript';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * NestJS's dependency injection needs decorator metadata, which esbuild (Vitest's default transform) does not emit:
 * compile those projects' TypeScript with the TypeScript compiler itself (per file, like ts-jest's isolatedModules).
 */
function decoratorMetadata(): Plugin {
  return {
    name: 'eventgen:ts-decorator-metadata',
    enforce: 'pre',
    transform(code, id) {
      if (!id.endsWith('.ts') || id.includes('/node_modules/')) return null;
      const out = ts.transpileModule(code, {
        fileName: id,
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.ESNext,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          useDefineForClassFields: false,
          sourceMap: true,
          inlineSources: true,
        },
      });
      return { code: out.outputText, map: out.sourceMapText ?? null };
    },
  };
}

// Two projects: `unit` (everything that needs no services) and `integration` (test/integration/**, a real Kafka
// broker and Redis). The integration project's global set-up starts a local broker only when integration tests
// are part of the run (vitest initialises a project's globalSetup only for projects with selected files), and
// its files run one at a time after the unit tests: they share one broker and the machine has 2 cores.
const INTEGRATION = ['test/integration/**/*.test.ts', 'test/topics/**/*.kafka.test.ts', 'examples/**/*.kafka.test.ts'];
// NestJS-target tests (test/nestjs/**) are compiled by the TypeScript compiler (decoratorMetadata above), which emits
// the decorator metadata Nest's DI needs; `*.kafka.test.ts` need the broker.
const NEST = 'test/nestjs/**/*.test.ts';
const NEST_KAFKA = 'test/nestjs/**/*.kafka.test.ts';
// Tests of @asyncapi/generator 3.x (Node >= 24.11 only): CI's Node 24 pass runs them (`--project node24`); an older
// Node reports them skipped.
const NODE24 = 'test/generator-template/**/*.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', 'templates/**/*.test.ts', 'examples/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...INTEGRATION, NEST, NODE24],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The same real-broker suite on the @platformatic/kafka transport (issue #18): every test builds its transport
        // with createTransport(), which reads KAFKA_CLIENT (child processes inherit it).
        extends: true,
        test: {
          name: 'integration-platformatic',
          include: INTEGRATION,
          exclude: ['**/node_modules/**'],
          env: { KAFKA_CLIENT: 'platformatic' },
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          sequence: { groupOrder: 3 },
        },
      },
      {
        extends: true,
        plugins: [decoratorMetadata()],
        test: { name: 'nestjs', include: [NEST], exclude: ['**/node_modules/**', NEST_KAFKA] },
      },
      {
        extends: true,
        plugins: [decoratorMetadata()],
        test: {
          name: 'nestjs-kafka',
          include: [NEST_KAFKA],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          sequence: { groupOrder: 2 },
        },
      },
      { extends: true, test: { name: 'node24', include: [NODE24], exclude: ['**/node_modules/**'], testTimeout: 300_000 } },
    ],
  },
});
