import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { REPO_DIR } from '../helpers/config-dir.js';

/** The languages of shell blocks whose `flagroute` lines a reader would type. */
const SHELL = new Set(['bash', 'sh', 'shell', 'console']);

/** Every `flagroute ...` command line in the shell blocks of a Markdown file, with its line number. */
function documentedCommands(file: string): { line: number; args: string[] }[] {
  const found: { line: number; args: string[] }[] = [];
  let fence: string | null = null;
  let pending = '';
  let start = 0;
  for (const [index, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
    const marker = /^\s*```\s*(\S*)/.exec(raw);
    if (marker) {
      fence = fence === null ? marker[1]! : null;
      continue;
    }
    if (fence === null || !SHELL.has(fence)) continue;
    if (pending === '') start = index + 1;
    const line = raw.replace(/^\s*\$ /, '');
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const text = pending + line;
    pending = '';
    for (const args of commandsOf(text)) found.push({ line: start, args });
  }
  return found;
}

/** Shell words, with quotes removed; `#` outside quotes starts a comment. */
function words(text: string): string[] {
  const result: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = null;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= '';
    } else if (/\s/.test(char)) {
      if (word !== null) result.push(word);
      word = null;
    } else if (char === '#' && word === null) {
      break;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== null) result.push(word);
  return result;
}

const SEPARATORS = new Set(['|', '||', '&&', ';', '&']);

/** The `flagroute` invocations of a shell line (after `npx`, variables, in each part of a pipe). */
function commandsOf(text: string): string[][] {
  const commands: string[][] = [];
  let current: string[] = [];
  let redirected = false;
  for (const word of [...words(text), ';']) {
    if (SEPARATORS.has(word)) {
      while (current.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(current[0]!)) current.shift();
      if (current[0] === 'npx') current.shift();
      if (current[0] === 'flagroute') commands.push(current.slice(1));
      current = [];
    } else if (/^\d?[<>]/.test(word)) {
      // A redirection, `> file` or `2>&1`: not the command's.
      redirected = /^\d?[<>]+$/.test(word);
    } else if (redirected) {
      redirected = false;
    } else {
      // An optional part written [--json] is checked as if given.
      current.push(word.replace(/^\[|\]$/g, ''));
    }
  }
  return commands;
}

/**
 * A fresh program, built for `args` as the binary builds it (with only the named command's
 * module), whose actions do nothing: parsing checks commands, options and values only.
 */
async function programThatDoesNothing(errors: string[], args: string[]): Promise<Command> {
  const program = await buildProgram(args);
  program.configureOutput({ writeErr: (text) => errors.push(text), writeOut: () => {} });
  const silence = (command: Command) => {
    command.action(() => {});
    command.configureOutput({ writeErr: (text) => errors.push(text), writeOut: () => {} });
    for (const sub of command.commands) silence(sub);
  };
  for (const command of program.commands) silence(command);
  return program;
}

/** Why commander refuses `args`, or null when it accepts them. */
async function refusal(args: string[]): Promise<string | null> {
  const errors: string[] = [];
  try {
    await (await programThatDoesNothing(errors, args)).parseAsync(args, { from: 'user' });
    return null;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
        return null;
      return errors.join('').trim() || error.message;
    }
    return (error as Error).message;
  }
}

const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(REPO_DIR, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name)),
];

describe('every command line the README and docs show', () => {
  it('is a command of flagroute with options it has, checked by its own parser without running it', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const document of DOCUMENTS) {
      for (const { line, args } of documentedCommands(join(REPO_DIR, document))) {
        checked += 1;
        const why = await refusal(args);
        if (why) problems.push(`${document}:${line}: flagroute ${args.join(' ')}\n    ${why}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });

  it('would catch an unknown command or option (the check itself works)', async () => {
    expect(await refusal(['serve', '--controller'])).toBeNull();
    expect(await refusal(['serve', '--controler'])).toMatch(/unknown option '--controler'/);
    expect(await refusal(['rollout', 'plan', 'stat'])).toMatch(/the action must be one of/);
    expect(await refusal(['rolout', 'set', '5'])).toMatch(/unknown command 'rolout'/);
    expect(await refusal(['controller', '--env', 'production'])).toMatch(
      /--metrics <source>' not specified/,
    );
    expect(await refusal(['decide', '--help'])).toBeNull();
  });
});
