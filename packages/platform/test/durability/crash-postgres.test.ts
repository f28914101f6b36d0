import { postgresStore } from './crash-harness.ts';
import { defineCrashSuite } from './crash-suite.ts';

defineCrashSuite(postgresStore());
