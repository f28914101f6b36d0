import { pgliteStore } from './crash-harness.ts';
import { defineCrashSuite } from './crash-suite.ts';

// The PGlite kills during delegation and during the children (see crash-pglite.test.ts).
defineCrashSuite(pgliteStore(), { targeted: false, randomShare: null });
