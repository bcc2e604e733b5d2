import type { Command } from 'commander';
import { maskSecret } from '../../logging.js';
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
      const rows = [...config.origins.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([path, origin]) => {
          const value = path
            .split('.')
            .reduce<unknown>(
              (node, key) => (node as Record<string, unknown>)[key],
              config.settings,
            );
          return {
            key: path,
            value: path === 'user_hash_salt' ? maskSecret(String(value)) : value,
            origin,
          };
        });
      const rules = config.routingRules.map((rule) => ({
        name: rule.name,
        rule: rule.spec,
        origin: rule.origin,
      }));
      const regions = config.geographicRouting.map((region) => ({
        region: region.region,
        rollout_percentage: region.rolloutPercentage,
        origin: region.origin,
      }));
      if (options.json) {
        const settings = Object.fromEntries(
          rows.map((row) => [row.key, { value: row.value, origin: row.origin }]),
        );
        process.stdout.write(
          `${JSON.stringify({ environment: config.environment, configVersion: config.version, settings, routing_rules: rules, geographic_routing: regions }, null, 2)}\n`,
        );
        return;
      }
      const width = Math.max(...rows.map((row) => row.key.length));
      const lines = [`environment ${config.environment} (config ${config.version})`, ''];
      for (const row of rows) {
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
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
