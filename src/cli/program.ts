import { Command, Help } from 'commander';
import { VERSION } from '../main.js';
import { registerBlacklist } from './commands/blacklist.js';
import { registerDisputes } from './commands/disputes.js';
import { registerQueues, registerShow, registerStuck } from './commands/escrowInspect.js';
import { registerRebuild, registerSettlements } from './commands/escrowRepair.js';
import { registerCheck, registerHealth } from './commands/health.js';
import { registerKafkaCreateTopics } from './commands/kafkaCreateTopics.js';
import { registerKafkaLag } from './commands/kafkaLag.js';
import { registerMigrate } from './commands/migrate.js';
import { registerOutboxDlq } from './commands/outboxDlq.js';
import { registerOutboxReplay } from './commands/outboxReplay.js';
import { registerOutboxSkip } from './commands/outboxSkip.js';
import { registerOutboxStatus } from './commands/outboxStatus.js';
import { registerPause } from './commands/pause.js';
import { registerAdminActions } from './commands/adminActions.js';
import { registerApprovals } from './commands/approvals.js';
import { registerReconcile } from './commands/reconcile.js';
import { registerReport } from './commands/report.js';
import { registerSandboxPay } from './commands/sandboxPay.js';
import { registerServe } from './commands/serve.js';
import { registerSuspense } from './commands/suspense.js';
import { registerTimeoutsRun } from './commands/timeoutsRun.js';
import { registerToken } from './commands/token.js';
import { registerTokens } from './commands/tokens.js';
import { registerVaultRotate } from './commands/vault.js';
import { registerVerify } from './commands/verify.js';
import { registerWebhooks } from './commands/webhooks.js';
import { registerWebhookEndpoints } from './commands/webhookEndpoints.js';
import { createContext, type CliContext } from './context.js';
import { withBackend } from './engine.js';
import { exitCodeFor, usageError, type ExitCode } from './exitCodes.js';
import { documented, type CommandHelp } from './help.js';
import { processIo, type Io } from './output.js';

/**
 * The `escrow` program. Commander's usage errors (unknown command or option, missing or invalid argument) throw
 * instead of exiting (`exitOverride`), after printing what was wrong and the command's usage to stderr.
 */
export function createProgram(ctx: CliContext): Command {
  const program = new Command('escrow')
    .description('Escrow Services engine and operations CLI')
    .version(VERSION, '-V, --version', 'print the version')
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) })
    .exitOverride()
    .showHelpAfterError()
    .configureHelp({ subcommandTerm });
  // settings above are copied into every command created below
  documented(program, {
    examples: [
      'escrow migrate',
      'escrow serve --roles api,outbox',
      'escrow token --sub admin --role admin',
      'escrow verify',
      'escrow outbox status',
      'escrow <command> --help',
    ],
    notes: ['Configuration comes from the environment (see README). Data commands print JSON on stdout.'],
    failure: 'failure or violations',
  });
  const groups = [...registerEngineCommands(program, ctx), ...registerOperatorCommands(program, ctx)];
  for (const parent of [program, ...groups]) requireSubcommand(parent);
  // `escrow help <command>`, on the program only (its subcommands exist: they do not inherit it)
  return program.helpCommand(true);
}

/** The engine's own commands: migrate, serve, tokens, health, the sandbox, timeouts, verify, the outbox, Kafka. */
function registerEngineCommands(program: Command, ctx: CliContext): Command[] {
  registerMigrate(program, ctx);
  registerServe(program, ctx);
  registerToken(program, ctx);
  registerHealth(program, ctx, withBackend);
  registerCheck(program, ctx, withBackend);
  const sandbox = group(program, 'sandbox', 'simulate payments on the built-in SANDBOX rail', {
    examples: ['escrow sandbox pay <id>'],
  });
  registerSandboxPay(sandbox, ctx);
  const timeouts = group(program, 'timeouts', 'apply due payment and confirmation deadlines', {
    examples: ['escrow timeouts run --dry-run'],
  });
  registerTimeoutsRun(timeouts, ctx);
  registerVerify(program, ctx);
  registerSuspense(program, ctx);
  const outbox = group(program, 'outbox', 'the event outbox: status, dead letters, replay, skip', {
    examples: [
      'escrow outbox status',
      'escrow outbox dlq --limit 20',
      'escrow outbox replay --all',
      'escrow outbox skip --id 42 --reason "..."',
    ],
  });
  registerOutboxStatus(outbox, ctx);
  registerOutboxDlq(outbox, ctx);
  registerOutboxReplay(outbox, ctx);
  registerOutboxSkip(outbox, ctx);
  const kafka = group(program, 'kafka', 'Kafka mode: topics and consumer lag', {
    examples: ['escrow kafka create-topics', 'escrow kafka lag'],
  });
  registerKafkaCreateTopics(kafka, ctx);
  registerKafkaLag(kafka, ctx);
  const webhooks = group(program, 'webhooks', 'provider webhooks stored unprocessed: list them, reprocess them', {
    examples: ['escrow webhooks failed', 'escrow webhooks reprocess --provider stripe --reason "..." --dry-run'],
  });
  registerWebhooks(webhooks, ctx);
  registerReconcile(program, ctx);
  return [sandbox, timeouts, outbox, kafka, webhooks];
}

/** The operators' commands of the runbooks: blacklist, pause, approvals and admin actions, the queues, reports. */
function registerOperatorCommands(program: Command, ctx: CliContext): Command[] {
  registerBlacklist(program, ctx, withBackend);
  registerPause(program, ctx, withBackend);
  const approvals = registerApprovals(program, ctx, withBackend);
  registerAdminActions(program, ctx, withBackend);
  registerDisputes(program, ctx);
  for (const register of [registerStuck, registerShow, registerRebuild, registerSettlements, registerQueues]) {
    register(program, ctx);
  }
  const report = registerReport(program, ctx, withBackend);
  const vault = group(program, 'vault', 'the credential vault: reseal its secrets under a new key', {
    examples: ['escrow vault rotate --reason "quarterly rotation" --dry-run'],
  });
  registerVaultRotate(vault, ctx);
  const tokens = group(program, 'tokens', 'revoke API tokens (one by its jti, or every token of a subject)', {
    examples: ['escrow tokens revoke --subject ops-mallory --reason "laptop stolen" --dry-run', 'escrow tokens list'],
  });
  registerTokens(tokens, ctx, withBackend);
  const webhookEndpoints = registerWebhookEndpoints(program, ctx, withBackend);
  const blacklist = program.commands.find((c) => c.name() === 'blacklist')!;
  return [blacklist, vault, tokens, report, approvals, webhookEndpoints];
}

const group = (program: Command, name: string, description: string, help: CommandHelp): Command =>
  documented(program.command(name).description(description), help);

const defaultHelp = new Help();

/** In a command list a group shows its subcommands (`outbox status|dlq|replay|skip`), not `[command]`. */
function subcommandTerm(cmd: Command): string {
  if (cmd.commands.length === 0) return defaultHelp.subcommandTerm(cmd);
  return `${cmd.name()} ${cmd.commands.map((c) => c.name()).join('|')}`;
}

/**
 * Run without one of its subcommands, a command group fails with a usage error naming what was wrong (commander
 * would print only the help, or quote the name). Called after the subcommands exist: they must not inherit
 * `allowExcessArguments`.
 */
function requireSubcommand(parent: Command): void {
  parent.allowExcessArguments().action(() => {
    const [name] = parent.args;
    const names = parent.commands.map((c) => c.name()).join(', ');
    usageError(parent, name === undefined ? `missing command (one of ${names})` : `unknown command ${name}`);
  });
}

/** Runs the CLI on `argv` (without node and the script) and returns the exit code; never exits the process. */
export async function runCli(
  argv: readonly string[],
  io: Io = processIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExitCode> {
  const ctx = createContext(io, env);
  try {
    await createProgram(ctx).parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    return exitCodeFor(err, io);
  }
}
