import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { settingValidator, validators } from '../../src/config/schemas.js';
import { HOSTILE_FILES } from '../cases/hostile-config.js';
import { REPO_DIR } from '../helpers/config-dir.js';
import { generatedValidators } from '../helpers/generated-validators.js';

/** The validators `npm run build` generates (the CLI and the package use them). */
const generated = generatedValidators();

function documents(): { name: string; kind: 'environment' | 'ruleFile'; data: unknown }[] {
  const found: { name: string; kind: 'environment' | 'ruleFile'; data: unknown }[] = [];
  for (const name of ['development', 'staging', 'production']) {
    const text = readFileSync(join(REPO_DIR, 'environments', `${name}.yaml`), 'utf8');
    found.push({ name, kind: 'environment', data: parse(text) });
  }
  for (const name of ['geography', 'query-length', 'query-type']) {
    const text = readFileSync(join(REPO_DIR, 'rules', `${name}.yaml`), 'utf8');
    found.push({ name, kind: 'ruleFile', data: parse(text) });
  }
  for (const hostile of HOSTILE_FILES) {
    if (hostile.content.startsWith('base64:')) continue;
    let data: unknown;
    try {
      data = parse(hostile.content, { maxAliasCount: 100 });
    } catch {
      continue; // YAML errors never reach the schema
    }
    found.push({
      name: hostile.name,
      kind: hostile.file === 'env' ? 'environment' : 'ruleFile',
      data,
    });
  }
  return found;
}

describe('the validators generated at build time', () => {
  it('accept, refuse, report and fill defaults exactly as the compiled ones', () => {
    let refused = 0;
    for (const { name, kind, data } of documents()) {
      const compiledCopy = structuredClone(data);
      const generatedCopy = structuredClone(data);
      const compiledOk = validators[kind](compiledCopy);
      const generatedOk = generated[kind]!(generatedCopy);
      expect(generatedOk, name).toBe(compiledOk);
      expect(generatedCopy, `${name}: defaults`).toEqual(compiledCopy);
      if (!compiledOk) {
        refused += 1;
        const strip = (errors: unknown) => JSON.parse(JSON.stringify(errors));
        expect(strip(generated[kind]!.errors), name).toEqual(strip(validators[kind].errors));
      }
    }
    expect(refused).toBeGreaterThan(10);
  });

  it('include every setting validator the variables overlay uses', () => {
    for (const [key, value] of [
      ['rollout_percentage', 150],
      ['enable_ab_testing', 'yes'],
      ['log_level', 'loud'],
    ] as const) {
      const compiled = settingValidator(key);
      const built = generated[`setting_${key}`]!;
      expect(built(value)).toBe(compiled(value));
      expect(JSON.parse(JSON.stringify(built.errors))).toEqual(
        JSON.parse(JSON.stringify(compiled.errors)),
      );
    }
  });
});
