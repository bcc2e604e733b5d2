import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMAND_MODULES } from '../../src/cli/program.js';
import { parseDuration } from '../../src/duration.js';

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

  it("shows every duration flag's default as a duration that flag takes, and parses to the default", async () => {
    const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
    const durations = all(await buildProgram()).flatMap((command) =>
      command.options
        .filter((option) => option.flags.includes('<duration>'))
        .map((option) => ({ where: `${command.name()} ${option.long}`, option })),
    );
    // serve's --decision-token-ttl, rollout plan's --wait, --interval and --lease-ttl twice.
    expect(durations.length).toBeGreaterThanOrEqual(6);
    for (const { where, option } of durations) {
      if (option.defaultValue === undefined) continue;
      const shown = option.defaultValueDescription;
      expect(shown, where).toBeDefined();
      expect(parseDuration(shown as string), where).toBe(option.defaultValue);
    }
  });
});
