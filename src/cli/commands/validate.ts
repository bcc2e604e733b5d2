import type { Command } from 'commander';
import { validateConfigDir } from '../../config/index.js';
import { EXIT, printIssues } from '../shared.js';

/** `flagroute validate`: checks every environment and rule file. */
export function validateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      'check every environment and rule file (and the LIGHTRAG_* variables); exit 1 on any problem',
    )
    .option('--config-dir <dir>', 'directory holding environments/ and rules/', '.')
    .option('--json', 'print a JSON list of {file, line, column, message, pointer, code}')
    .action(async (options: { configDir: string; json?: boolean }) => {
      const report = await validateConfigDir({ configDir: options.configDir, env: process.env });
      // Warnings go to stderr even with --json, whose stdout stays the list of problems.
      for (const warning of report.warnings) process.stderr.write(`warning: ${warning.message}\n`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report.issues, null, 2)}\n`);
      } else if (report.issues.length === 0) {
        process.stdout.write(
          `ok: ${report.files.length} file${report.files.length === 1 ? '' : 's'} valid (${report.files.join(', ')})\n`,
        );
      } else {
        printIssues(report.issues);
        process.stderr.write(
          `${report.issues.length} problem${report.issues.length === 1 ? '' : 's'} found\n`,
        );
      }
      process.exitCode = report.issues.length === 0 ? EXIT.ok : EXIT.failure;
    });
}
