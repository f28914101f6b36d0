// Test-only preload (`node --import`): records the URL of every module the process resolves, imported
// or required, static or dynamic, and writes them one a line to the file named by
// AUTONOMA_TEST_LOADED_MODULES when the process exits. cli-startup.test.ts uses it to check which
// code `autonoma --version` and `--help` load.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const target = process.env['AUTONOMA_TEST_LOADED_MODULES'];
if (target) {
  const resolved = new Set<string>();
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const result = nextResolve(specifier, context);
      resolved.add(result.url);
      return result;
    },
  });
  process.on('exit', () => writeFileSync(target, [...resolved].join('\n')));
}
