import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';
import { pythonSdkSetup } from '../helpers/python-sdk.js';
import { INGEST_TOKEN, testServer } from '../helpers/test-server.js';

const setup = pythonSdkSetup();
// In CI a missing part is a failure (.ci/run installs python3-requests), never a skip.
const runIt = !('missing' in setup) || process.env.CI === 'true' ? it : it.skip;

/** The Python example of docs/http.md, as written, pointed at `url`. */
async function httpDocExample(url: string): Promise<string> {
  const doc = await readFile(join(REPO_DIR, 'docs', 'http.md'), 'utf8');
  const blocks = [...doc.matchAll(/```python\n([\s\S]*?)```/g)].map((match) => match[1]!);
  expect(blocks).toHaveLength(1);
  expect(blocks[0]).toContain('FLAGROUTE = "http://127.0.0.1:8016"');
  return blocks[0]!.replace('http://127.0.0.1:8016', url);
}

/**
 * Runs after the example, in the same module: the example's own functions with the caller's
 * two common mistakes (a None value, a misspelt key) and a missing user id, collecting what the
 * example logs, then prints everything as JSON.
 */
const DRIVER = `
import json as _json

_logged = []


class _Collect(logging.Handler):
    def emit(self, record):
        _logged.append(record.getMessage())


log.addHandler(_Collect())
log.propagate = False
_results = {"first": [backend, decision_id]}
for _name, _user, _context in [
    ("none", "bob", {"region": None}),
    ("misspelt", "bob", {"regoin": "eu"}),
    ("no_user", "", {"region": "eu"}),
    ("attribute", "carol", {"region": "eu", "plan": "pro"}),
]:
    _results[_name] = list(choose_backend(_user, **_context))
_results["logged"] = _logged
print(_json.dumps(_results))
`;

describe('the Python example of docs/http.md, with the official OpenFeature SDK', () => {
  runIt(
    'decides over OFREP, reports the outcome, and shows the caller a None value and a misspelt key',
    async () => {
      if ('missing' in setup) throw new Error(`missing ${setup.missing}`);
      const temp = await tempConfigDir({
        'environments/development.yaml':
          'rollout_percentage: 50\nenable_ab_testing: true\nrollback_triggers: {enabled: false}\n',
      });
      const server = await testServer({
        configDir: temp.dir,
        watch: false,
        ingestToken: INGEST_TOKEN,
      });
      const script = `${await httpDocExample(server.url)}\n${DRIVER}`;
      const child = spawn('python3', ['-'], {
        cwd: temp.dir,
        env: {
          ...process.env,
          FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN,
          ...(setup.pythonPath ? { PYTHONPATH: setup.pythonPath } : {}),
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.stdin.end(script);
      const code = await new Promise((resolve) => child.once('close', resolve));
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const results = JSON.parse(stdout) as Record<string, [string, string | null]> & {
        logged: string[];
      };

      // The example decided over OFREP and tied its outcome to the decision.
      const [backend, decisionId] = results.first!;
      expect(['lightrag', 'perplexity']).toContain(backend);
      expect(decisionId).toMatch(/^[0-9a-f]+-\d+$/);
      const summary = server.router.getPerformanceSummary();
      const recorded = Object.values(summary.performance).reduce(
        (total, figures) => total + figures.success_count + figures.error_count,
        0,
      );
      expect(recorded).toBe(1);

      // An attribute of any other name reaches the rules: a decision, no error.
      expect(results.attribute![1]).toMatch(/^[0-9a-f]+-\d+$/);

      // The mistakes: the SDK's default, and the server's reason, which the example logs.
      for (const name of ['none', 'misspelt', 'no_user']) {
        expect(results[name], name).toEqual(['perplexity', null]);
      }
      expect(results.logged).toEqual([
        'flagroute: INVALID_CONTEXT: invalid routing context: context.region is null (a Python None): leave out a key that has no value',
        'flagroute: INVALID_CONTEXT: invalid routing context: context.regoin is not a field flagroute reads (did you mean "region"?), and no loaded rule reads it as an attribute; the fields are targetingKey, sessionId, queryText, queryType, region, queryComplexity, requestId',
        'flagroute: TARGETING_KEY_MISSING: context.targetingKey (the user id) must be a non-empty string',
      ]);
    },
    60_000,
  );
});
