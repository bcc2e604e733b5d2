#!/usr/bin/env node
import { CommanderError } from 'commander';
import { ConfigError } from '../config/issues.js';
import { InvalidContextError } from '../routing/context.js';
import { buildProgram } from './program.js';
import { EXIT, printIssues, UsageError } from './shared.js';

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (error instanceof UsageError || error instanceof InvalidContextError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = EXIT.usage;
  } else if (error instanceof ConfigError) {
    printIssues(error.issues);
    process.exitCode = EXIT.failure;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.failure;
  }
}
