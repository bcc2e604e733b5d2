import { Command } from 'commander';
import { packageVersion } from '../package-version.js';
import { breakerCommands } from './commands/breaker.js';
import { configCommand } from './commands/config.js';
import { controllerCommand } from './commands/controller.js';
import { decideCommands } from './commands/decide.js';
import { demoCommand } from './commands/demo.js';
import { experimentCommands } from './commands/experiment.js';
import { fleetCommands } from './commands/fleet.js';
import { rolloutCommands } from './commands/rollout.js';
import { serveCommand } from './commands/serve.js';
import { simulateCommand } from './commands/simulate.js';
import { storeCommands } from './commands/store.js';
import { validateCommand } from './commands/validate.js';
import { watchCommand } from './commands/watch.js';

/** The `flagroute` command line: every command, with `--help` on each. */
export function buildProgram(): Command {
  const program = new Command('flagroute')
    .description('route queries between LightRAG (candidate) and Perplexity (fallback), safely')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  validateCommand(program);
  configCommand(program);
  decideCommands(program);
  simulateCommand(program);
  watchCommand(program);
  rolloutCommands(program);
  serveCommand(program);
  breakerCommands(program);
  controllerCommand(program);
  experimentCommands(program);
  storeCommands(program);
  fleetCommands(program);
  demoCommand(program);
  return program;
}
