import { Command, CommanderError } from 'commander';
import { version } from '../version.ts';
import { registerAccount } from './commands/account.ts';
import { registerAgents } from './commands/agents.ts';
import { registerAnswer } from './commands/answer.ts';
import { registerApprovals } from './commands/approvals.ts';
import { registerAudit } from './commands/audit.ts';
import { registerBackup } from './commands/backup.ts';
import { registerChat } from './commands/chat.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerExplain } from './commands/explain.ts';
import { registerJobs } from './commands/jobs.ts';
import { registerMemory } from './commands/memory.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerOrganization } from './commands/organization.ts';
import { registerReplay } from './commands/replay.ts';
import { registerRun } from './commands/run.ts';
import { registerRuns } from './commands/runs.ts';
import { registerServe } from './commands/serve.ts';
import { registerSchedules } from './commands/schedules.ts';
import { registerWorker } from './commands/worker.ts';
import { registerWorkers } from './commands/workers.ts';

/**
 * Builds the `autonoma` command tree. Command definitions load no command's code: each action imports
 * its module when its command runs (see lazy-action.ts).
 */
export function buildProgram(): Command {
  const program = new Command('autonoma')
    .description('Autonoma: durable, self-hostable autonomous agents')
    .version(version, '-v, --version')
    .option('--home <dir>', 'data directory (AUTONOMA_HOME)')
    .option('--database-url <url>', 'PostgreSQL URL (DATABASE_URL)')
    .option('--model <provider:model>', 'model for the model brain (AUTONOMA_MODEL)')
    .option('--config <file>', 'configuration file (default ./autonoma.config.json)')
    .option('--log-level <level>', 'log level (LOG_LEVEL)')
    .option('--server <url>', 'talk to an Autonoma server instead of the local store (AUTONOMA_SERVER)')
    .showHelpAfterError('(run autonoma --help for usage)')
    .exitOverride();
  program.configureOutput({
    writeErr: (text) => process.stderr.write(text.replace(/^error: /, 'autonoma: ')),
  });
  registerRun(program);
  registerRuns(program);
  registerAgents(program);
  registerApprovals(program);
  registerAnswer(program);
  registerChat(program);
  registerMigrate(program);
  registerBackup(program);
  registerDoctor(program);
  registerExplain(program);
  registerReplay(program);
  registerMemory(program);
  registerServe(program);
  registerAudit(program);
  registerSchedules(program);
  registerWorker(program);
  registerWorkers(program);
  registerJobs(program);
  registerOrganization(program);
  registerAccount(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI with `argv`; sets the exit code; never prints a stack trace. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    // Loaded only on failure: output.ts imports @autonoma/core to recognise its errors, which
    // `--help`, `--version` and a mistyped option must not wait for.
    const { errorLine, exitCodeFor, processOutput } = await import('./output.ts');
    processOutput.err(`autonoma: ${errorLine(error)}`);
    process.exitCode = exitCodeFor(error);
  }
}

await main(process.argv);
