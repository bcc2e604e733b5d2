import type { Command } from 'commander';
import { type ConfigDescription, describeConfig } from '../../config/index.js';
import { effective, layersOf } from '../../rollout-layers/index.js';
import { type EnvironmentOptions, loadForCommand, withEnvironmentOptions } from '../shared.js';

/** `flagroute config`: the effective configuration and where each value came from. */
export function configCommand(program: Command): void {
  withEnvironmentOptions(
    program
      .command('config')
      .description(
        'print the effective configuration, each value with its origin (default, file:line or variable)',
      ),
  )
    .option('--json', 'print JSON')
    .action(async (options: EnvironmentOptions & { json?: boolean }) => {
      const config = await loadForCommand(options, process.env);
      if (!config) return;
      const rollout = effective(layersOf(config));
      const description = describeConfig(config, {
        value: rollout.percentage,
        origin: rollout.origin,
      });
      process.stdout.write(
        options.json
          ? `${JSON.stringify(asJson(description), null, 2)}\n`
          : `${asText(description)}\n`,
      );
    });
}

function asJson(description: ConfigDescription) {
  const settings = Object.fromEntries(
    description.settings.map((row) => [row.key, { value: row.value, origin: row.origin }]),
  );
  return { ...description, settings };
}

function asText(description: ConfigDescription): string {
  const { settings, routing_rules: rules, geographic_routing: regions } = description;
  const width = Math.max(...settings.map((row) => row.key.length));
  const lines = [
    `environment ${description.environment} (config ${description.configVersion})`,
    '',
  ];
  for (const row of settings) {
    lines.push(`${row.key.padEnd(width)}  ${JSON.stringify(row.value)}  [${row.origin}]`);
  }
  lines.push('', 'routing rules:');
  for (const rule of rules)
    lines.push(`  ${rule.name}: ${JSON.stringify(rule.rule)}  [${rule.origin}]`);
  if (rules.length === 0) lines.push('  (none)');
  lines.push('geographic routing:');
  for (const region of regions) {
    lines.push(`  ${region.region}: ${region.rollout_percentage} %  [${region.origin}]`);
  }
  if (regions.length === 0) lines.push('  (none)');
  return lines.join('\n');
}
