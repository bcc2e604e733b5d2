import { Command } from 'commander';
import { packageVersion } from '../package-version.js';

/** Adds one module's commands to the program. */
type Registrar = (program: Command) => void;

/**
 * Each command module, the top-level commands it adds, and how to load it. A module is loaded
 * only when one of its commands runs (or when every command is needed: help, no command, an
 * unknown one), so `flagroute decide` does not load the experiment reports, the rollout
 * controller or PostgreSQL's client: with every module loaded its cold start took twice as long.
 * In the order `--help` lists them.
 */
export const COMMAND_MODULES: readonly {
  commands: readonly string[];
  load(): Promise<Registrar>;
}[] = [
  {
    commands: ['validate'],
    load: async () => (await import('./commands/validate.js')).validateCommand,
  },
  { commands: ['config'], load: async () => (await import('./commands/config.js')).configCommand },
  {
    commands: ['decide', 'explain'],
    load: async () => (await import('./commands/decide.js')).decideCommands,
  },
  {
    commands: ['simulate'],
    load: async () => (await import('./commands/simulate.js')).simulateCommand,
  },
  { commands: ['watch'], load: async () => (await import('./commands/watch.js')).watchCommand },
  {
    commands: ['rollout', 'rollback', 'status'],
    load: async () => (await import('./commands/rollout.js')).rolloutCommands,
  },
  { commands: ['serve'], load: async () => (await import('./commands/serve.js')).serveCommand },
  {
    commands: ['breaker'],
    load: async () => (await import('./commands/breaker.js')).breakerCommands,
  },
  {
    commands: ['controller'],
    load: async () => (await import('./commands/controller.js')).controllerCommand,
  },
  {
    commands: ['experiment'],
    load: async () => (await import('./commands/experiment.js')).experimentCommands,
  },
  { commands: ['store'], load: async () => (await import('./commands/store.js')).storeCommands },
  { commands: ['fleet'], load: async () => (await import('./commands/fleet.js')).fleetCommands },
  { commands: ['demo'], load: async () => (await import('./commands/demo.js')).demoCommand },
];

/**
 * The `flagroute` command line. Given the arguments it will parse (`process.argv` after node and
 * the script), only the module of the command they name is loaded; without them, or when they
 * name no known command, every command is there (for help and suggestions).
 */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const program = new Command('flagroute')
    .description('route queries between LightRAG (candidate) and Perplexity (fallback), safely')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  // The command is the first argument: the program itself has no option that takes a value.
  const named = args?.[0];
  const one = COMMAND_MODULES.find(
    ({ commands }) => named !== undefined && commands.includes(named),
  );
  const registrars = await Promise.all((one ? [one] : COMMAND_MODULES).map(({ load }) => load()));
  for (const register of registrars) register(program);
  return program;
}
