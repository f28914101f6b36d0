import { pgliteStore } from './crash-harness.ts';
import { defineCrashSuite } from './crash-suite.ts';

defineCrashSuite(pgliteStore());
