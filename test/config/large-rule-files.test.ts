import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as built from 'flagroute';
import stringify from 'safe-stable-stringify';
import { describe, expect, it } from 'vitest';
import { configVersion } from '../../src/config/assemble-config.js';
import { tryLoadConfig } from '../../src/config/load-config.js';
import { OFF_THREAD_CHARS } from '../../src/config/rule-file-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';

/** `count` rules from `first`, alternating query-length and query-type rules. */
function rules(first: number, count: number): string {
  const lines: string[] = [];
  for (let index = first; index < first + count; index += 1) {
    lines.push(
      index % 2 === 0
        ? `  rule_${index}: {type: query_length, min_length: ${index % 90}, max_length: ${1000 + index}}`
        : `  rule_${index}:\n    type: query_type\n    allowed_types: [clinical, t${index}]`,
    );
  }
  return lines.join('\n');
}

const ENVIRONMENT =
  'rollout_percentage: 10\nenable_conditional_routing: true\nrule_files: [rules/a.yaml, rules/b.yaml, rules/c.yaml, rules/d.yaml]\n';
const EMPTY = '# nothing yet\n';

/**
 * The sources parse every rule file on the event loop (the child's script is the built one);
 * the built package parses these files, each far above the threshold, in its child process.
 * Both must load the same configuration and report the same problems, positions included.
 */
async function bothWays(files: Record<string, string>) {
  const { dir } = await tempConfigDir({ 'environments/bench.yaml': ENVIRONMENT, ...files });
  const options = { configDir: dir, environment: 'bench', env: {}, cwd: dir, stabilityMs: 0 };
  return { inline: await tryLoadConfig(options), threaded: await built.tryLoadConfig(options) };
}

describe('large rule files', () => {
  it('load off the event loop exactly as on it: rules, origins, positions, regions, version', async () => {
    const a = `routing_rules:\n${rules(0, 1500)}\ngeographic_routing:\n  us_east: {rollout_percentage: 25}\n  "7": {rollout_percentage: 7}\n`;
    const b = `# the rest\nrouting_rules:\n${rules(1500, 1500)}\n`;
    expect(a.length).toBeGreaterThan(OFF_THREAD_CHARS * 2);
    const { inline, threaded } = await bothWays({
      'rules/a.yaml': a,
      'rules/b.yaml': b,
      'rules/c.yaml': EMPTY,
      'rules/d.yaml': EMPTY,
    });
    if (!inline.ok || !threaded.ok) throw new Error(JSON.stringify([inline, threaded]));
    expect(threaded.config.routingRules).toEqual(inline.config.routingRules);
    expect(threaded.config.geographicRouting).toEqual(inline.config.geographicRouting);
    expect(threaded.config.version).toBe(inline.config.version);
    expect(inline.config.routingRules).toHaveLength(3000);
    const last = inline.config.routingRules.at(-1)!;
    expect(last).toMatchObject({
      name: 'rule_2999',
      origin: 'rules/b.yaml:3000',
      at: { file: 'rules/b.yaml', line: 3001, column: 5 },
    });
    // Object order puts an integer-like name first, as the rule set has always been ordered.
    expect(inline.config.geographicRouting.map((region) => region.origin)).toEqual([
      'rules/a.yaml:3004',
      'rules/a.yaml:3003',
    ]);
  });

  it('report the same problems off the event loop: schema, duplicate keys and names', async () => {
    const { inline, threaded } = await bothWays({
      'rules/a.yaml': `routing_rules:\n${rules(0, 1200)}\n  bad_type: {type: query_lenght}\n  inverted: {type: query_length, min_length: 9, max_length: 3}\n`,
      'rules/b.yaml': `routing_rules:\n${rules(1500, 1200)}\n  rule_1600: {type: query_type, allowed_types: [x]}\n`,
      'rules/c.yaml': `routing_rules:\n${rules(3000, 1200)}\n`,
      'rules/d.yaml': 'routing_rules:\n  rule_3001: {type: query_type, allowed_types: [x]}\n',
    });
    if (inline.ok || threaded.ok) throw new Error('both loads must fail');
    expect(threaded.issues).toEqual(inline.issues);
    expect(inline.issues.map(({ code, file, line }) => ({ code, file, line }))).toEqual([
      { code: 'SCHEMA', file: 'rules/a.yaml', line: 2402 },
      { code: 'DUPLICATE_KEY', file: 'rules/b.yaml', line: 2402 },
      { code: 'DUPLICATE_NAME', file: 'rules/d.yaml', line: 2 },
    ]);
  });
});

/** This process's children that run the built rule-file child script (Linux's /proc). */
function ruleFileChildren(): number[] {
  const children = readdirSync('/proc/self/task').flatMap((task) =>
    readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
  return children.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('rule-file-child.js');
    } catch {
      return false; // ended meanwhile
    }
  });
}

describe('the process that parses large rule files', () => {
  it('is started again when it dies, and the next load is the same', async () => {
    const { dir } = await tempConfigDir({
      'environments/bench.yaml': ENVIRONMENT,
      'rules/a.yaml': `routing_rules:\n${rules(0, 1500)}\n`,
      'rules/b.yaml': EMPTY,
      'rules/c.yaml': EMPTY,
      'rules/d.yaml': EMPTY,
    });
    const options = { configDir: dir, environment: 'bench', env: {}, cwd: dir, stabilityMs: 0 };
    const first = await built.tryLoadConfig(options);
    if (!first.ok) throw new Error(JSON.stringify(first.issues));
    const [child, ...more] = ruleFileChildren();
    expect(child).toBeDefined();
    expect(more).toEqual([]);
    // Killed, and the next load sent at once: this process may not have heard of the death yet.
    process.kill(child!, 'SIGKILL');
    const second = await built.tryLoadConfig(options);
    if (!second.ok) throw new Error(JSON.stringify(second.issues));
    expect(second.config.version).toBe(first.config.version);
    expect(second.config.routingRules).toEqual(first.config.routingRules);
    const [next] = ruleFileChildren();
    expect(next).toBeDefined();
    expect(next).not.toBe(child);
    // Ctrl-C reaches the whole process group; the child leaves stopping to its parent.
    process.kill(next!, 'SIGINT');
    const third = await built.tryLoadConfig(options);
    if (!third.ok) throw new Error(JSON.stringify(third.issues));
    expect(ruleFileChildren()).toEqual([next]);
  });
});

describe('configVersion', () => {
  it('is the hash of the stable JSON of the whole configuration, however it is built', async () => {
    const options = {
      configDir: (
        await tempConfigDir({
          'environments/bench.yaml': ENVIRONMENT,
          'rules/a.yaml': `routing_rules:\n${rules(0, 800)}\ngeographic_routing:\n  europe: {rollout_percentage: 10}\n`,
          'rules/b.yaml': `routing_rules:\n${rules(800, 5)}\n`,
          'rules/c.yaml': EMPTY,
          'rules/d.yaml': EMPTY,
        })
      ).dir,
      environment: 'bench',
      env: {},
      stabilityMs: 0,
    };
    const loaded = await tryLoadConfig(options);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const { settings, routingRules, geographicRouting } = loaded.config;
    const whole = stringify({
      settings,
      rules: routingRules.map(({ name, spec }) => ({ name, spec })),
      regions: geographicRouting.map(({ region, rolloutPercentage }) => ({
        region,
        rolloutPercentage,
      })),
    });
    const expected = createHash('sha256').update(whole!).digest('hex').slice(0, 12);
    expect(loaded.config.version).toBe(expected);
    expect(await configVersion(settings, [], [])).toBe(
      createHash('sha256')
        .update(stringify({ settings, rules: [], regions: [] })!)
        .digest('hex')
        .slice(0, 12),
    );
  });
});
