#!/usr/bin/env node
import { CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { FlagrouteError } from '../errors.js';
import { EXIT, EXIT_CODES } from './exit-codes.js';
import { buildProgram } from './program.js';
import { printIssues } from './shared.js';

try {
  const program = await buildProgram(process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (error instanceof ConfigError) {
    printIssues(error.issues);
    process.exitCode = EXIT_CODES[error.code];
  } else if (error instanceof FlagrouteError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = EXIT_CODES[error.code];
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.failure;
  }
}
