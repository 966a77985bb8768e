/** The `gen` CLI from source, for tests that need it as a process (signals): `node --import tsx test/support/gen-cli.ts <args>`. */
import { run } from '../../generator/cli.js';

await run();
