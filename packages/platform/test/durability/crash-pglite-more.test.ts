import { pgliteStore } from './crash-harness.ts';
import { defineCrashSuite } from './crash-suite.ts';

// The second half of the PGlite random kills (see crash-pglite.test.ts).
defineCrashSuite(pgliteStore(), { targeted: false, randomShare: [2, 2], tree: false });
