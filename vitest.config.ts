import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Two projects: `unit` (everything that needs no services) and `integration` (test/integration/**, a real Kafka
// broker and Redis). The integration project's global set-up starts a local broker only when integration tests
// are part of the run (vitest initialises a project's globalSetup only for projects with selected files), and
// its files run one at a time after the unit tests: they share one broker and the machine has 2 cores.
const INTEGRATION = ['test/integration/**/*.test.ts', 'test/topics/**/*.kafka.test.ts', 'examples/**/*.kafka.test.ts'];
// NestJS-target tests (test/nestjs/**) are compiled by SWC, which emits the decorator metadata Nest's DI needs
// (settings from tsconfig.json: experimentalDecorators, emitDecoratorMetadata); `*.kafka.test.ts` need the broker.
const NEST = 'test/nestjs/**/*.test.ts';
const NEST_KAFKA = 'test/nestjs/**/*.kafka.test.ts';

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
          exclude: ['**/node_modules/**', ...INTEGRATION, NEST],
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
        extends: true,
        plugins: [swc.vite()],
        test: { name: 'nestjs', include: [NEST], exclude: ['**/node_modules/**', NEST_KAFKA] },
      },
      {
        extends: true,
        plugins: [swc.vite()],
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
    ],
  },
});
