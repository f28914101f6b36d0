import { pgliteStore } from './crash-harness.ts';
import { defineCrashSuite } from './crash-suite.ts';

// The first half of the random kills and the targeted kill; crash-pglite-more.test.ts makes the other
// half and crash-pglite-tree.test.ts the kills during delegation, in parallel with this file.
defineCrashSuite(pgliteStore(), { randomShare: [1, 2], tree: false });
