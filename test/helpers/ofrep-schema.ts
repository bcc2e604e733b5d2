import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

const SPEC = parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ofrep', 'openapi.yaml'), 'utf8'),
);
// As written, codeDefaultFlag ({type: object, properties: {}}) matches every object, so no
// success could satisfy evaluationSuccess's oneOf; its description says it is the flag with no
// value, and that is how it is read here.
SPEC.components.schemas.codeDefaultFlag = { type: 'object', not: { required: ['value'] } };

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(SPEC, 'ofrep');

/** The OFREP schemas responses are checked against (from the vendored spec). */
export const OFREP_SCHEMAS = [
  'serverEvaluationSuccess',
  'evaluationFailure',
  'flagNotFound',
  'bulkEvaluationSuccess',
  'bulkEvaluationFailure',
  'generalErrorResponse',
] as const;

const validators = new Map<string, ValidateFunction>();

/** Throws, naming every violation, unless `body` satisfies the OFREP schema `name`. */
export function assertOfrep(name: (typeof OFREP_SCHEMAS)[number], body: unknown): void {
  let validate = validators.get(name);
  if (!validate) {
    validate = ajv.compile({ $ref: `ofrep#/components/schemas/${name}` });
    validators.set(name, validate);
  }
  if (!validate(body)) {
    throw new Error(
      `not a valid OFREP ${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
    );
  }
}
