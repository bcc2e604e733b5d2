import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import standalone from 'ajv/dist/standalone/index.js';
import { environmentSchema, flagrouteAjv, settingExport, VALIDATOR_IDS } from './schemas.js';

/**
 * Writes `validators.generated.js` beside this module: every validator flagroute uses, as code
 * (Ajv's standalone mode), so that a command does not compile the schemas at start-up. Run by
 * `npm run build` after the TypeScript compiler.
 */
export function generateValidators(file: string): void {
  const ajv = flagrouteAjv({ code: { source: true, esm: true } });
  const targets: Record<string, string> = { ...VALIDATOR_IDS };
  for (const key of Object.keys(environmentSchema.properties ?? {})) {
    targets[settingExport(key)] = `${VALIDATOR_IDS.environment}#/properties/${key}`;
  }
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
  // ajv's CommonJS module, imported whole: the function is also its `default`. Its ES module
  // output still loads ajv's small run-time helpers with require, so the module gets one.
  const code = standalone.default(ajv, exports);
  const header = `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n`;
  writeFileSync(file, header + code.replace(/^"use strict";/, ''));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  generateValidators(join(dirname(fileURLToPath(import.meta.url)), 'validators.generated.js'));
}
