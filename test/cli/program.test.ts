import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMAND_MODULES } from '../../src/cli/program.js';
import { readDuration } from '../../src/duration.js';

const names = (program: Awaited<ReturnType<typeof buildProgram>>) =>
  program.commands.map((command) => command.name());

describe('buildProgram', () => {
  it('has every command, in the table order, when no command is named', async () => {
    expect(names(await buildProgram())).toEqual(
      COMMAND_MODULES.flatMap(({ commands }) => commands),
    );
    expect(names(await buildProgram([]))).toEqual(names(await buildProgram()));
  });

  it.each(COMMAND_MODULES.flatMap(({ commands }) => commands.map((name) => ({ name, commands }))))(
    'loads only the module of $name when it is named',
    async ({ name, commands }) => {
      expect(names(await buildProgram([name, '--help']))).toEqual(commands);
    },
  );

  it('has every command for an unknown one, so that commander can suggest the right one', async () => {
    expect(names(await buildProgram(['decied']))).toEqual(names(await buildProgram()));
    expect(names(await buildProgram(['--version']))).toEqual(names(await buildProgram()));
  });

  it('reads every duration flag in one vocabulary, names the flag in a refusal, and shows the default as a duration the flag takes', async () => {
    const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
    const durations = all(await buildProgram()).flatMap((command) =>
      command.options
        .filter((option) => option.flags.includes('<duration>'))
        .map((option) => ({ where: `${command.name()} ${option.long}`, option })),
    );
    const flags = new Set(durations.map(({ option }) => option.long));
    // The plan's and the store's flags alike: one parser, each flag with its own bounds.
    expect([...flags].sort()).toEqual(
      [
        '--decision-token-ttl',
        '--heartbeat',
        '--interval',
        '--lease-ttl',
        '--range',
        '--stale-after',
        '--wait',
      ].sort(),
    );
    const everything = { min: 0, max: Number.MAX_SAFE_INTEGER };
    for (const { where, option } of durations) {
      expect(option.parseArg, where).toBeDefined();
      const parse = (text: string) => option.parseArg!(text, undefined);
      for (const text of ['0', '250ms', '2s', '90s', '1m', '15m', '1h', '2d', '30d']) {
        let read: unknown;
        try {
          read = parse(text);
        } catch (error) {
          read = (error as Error).message;
          expect(read, `${where} ${text}`).toMatch(
            new RegExp(`^${option.long} must be .*a duration .*, got "${text}"$`),
          );
          continue;
        }
        expect(read, `${where} ${text}`).toBe(readDuration(text, everything));
      }
      for (const text of ['soon', '1.5s', '250', '-1s', '1w', '01m', '']) {
        expect(() => parse(text), `${where} ${JSON.stringify(text)}`).toThrow(
          `${option.long} must be`,
        );
        expect(() => parse(text), where).toThrow('(a whole number of ms, s, m, h or d)');
      }
      if (option.defaultValue === undefined) continue;
      const shown = option.defaultValueDescription;
      expect(shown, where).toBeDefined();
      expect(parse(shown as string), where).toBe(option.defaultValue);
    }
  });
});
