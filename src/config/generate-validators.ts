import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import standalone from 'ajv/dist/standalone/index.js';
import {
  environmentSchema,
  flagrouteAjv,
  GENERATED_VALIDATORS,
  settingExport,
  VALIDATOR_GROUPS,
  VALIDATOR_IDS,
  type ValidatorGroup,
} from './schemas.js';

/**
 * Writes the validators flagroute uses as code (Ajv's standalone mode), so that a command does
 * not compile the schemas at start-up: one CommonJS module per group of
 * {@link GENERATED_VALIDATORS}, in `dir`, each required when its group is first used. Run by
 * `npm run build` after the TypeScript compiler.
 */
export function generateValidators(dir: string): void {
  const targets: Record<ValidatorGroup, Record<string, string>> = {
    config: {},
    settings: {},
    outcomes: {},
  };
  for (const [name, id] of Object.entries(VALIDATOR_IDS)) {
    targets[VALIDATOR_GROUPS[name as keyof typeof VALIDATOR_IDS]][name] = id;
  }
  for (const key of Object.keys(environmentSchema.properties ?? {})) {
    targets.settings[settingExport(key)] = `${VALIDATOR_IDS.environment}#/properties/${key}`;
  }
  for (const [group, file] of Object.entries(GENERATED_VALIDATORS)) {
    writeFileSync(join(dir, file), generatedCode(targets[group as ValidatorGroup]));
  }
}

/** The CommonJS module of the validators `targets` names (export name -> schema id). */
function generatedCode(targets: Record<string, string>): string {
  const ajv = flagrouteAjv({ code: { source: true, esm: false } });
  // A part of a schema is exported as a schema of its own that refers to it, exactly as the
  // run-time compilation does (a part compiled as a root would lose its defaults).
  const exports: Record<string, string> = {};
  for (const [name, target] of Object.entries(targets)) {
    if (!target.includes('#')) {
      exports[name] = target;
      continue;
    }
    const id = `flagroute-validator:${name}`;
    ajv.addSchema({ $id: id, $ref: target });
    exports[name] = id;
  }
  // ajv's CommonJS module, imported whole: the function is also its `default`.
  return standalone.default(ajv, exports);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  generateValidators(dirname(fileURLToPath(import.meta.url)));
}
