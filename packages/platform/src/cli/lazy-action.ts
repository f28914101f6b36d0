/** A command's action: called with the command's arguments, then its options, then the command. */
type Action = (...args: never[]) => Promise<void>;

/**
 * An action that imports its module only when its command runs. Command definitions (`commands/x.ts`)
 * import nothing but commander, and their actions live in `commands/x-action.ts`, so that parsing,
 * `--help` and `--version` load no command's code and each command loads only its own.
 *
 * @param load imports the action module: `() => import('./runs-action.ts')`
 * @param name the action the module exports: `'listRuns'`
 */
export function lazyAction<Name extends string>(
  load: () => Promise<Record<NoInfer<Name>, Action>>,
  name: Name,
): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    // Commander hands an action untyped values; which ones follows from the command's definition,
    // which the compiler cannot relate to the action module. Each action declares the types its
    // definition produces, and this is the one place they are taken on trust.
    const action = (await load())[name] as (...args: unknown[]) => Promise<void>;
    await action(...args);
  };
}
