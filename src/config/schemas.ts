import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import type { EnvironmentSettings, RuleFileContent } from './types.js';

/** Directory of the JSON Schemas shipped with the package (`schemas/`). */
export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

/** A JSON Schema node, as far as flagroute reads one. */
export interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  'x-allowed'?: string;
  /** A secret (the salt): its value is never shown in a message. */
  'x-secret'?: boolean;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  default?: unknown;
  description?: string;
  $ref?: string;
}

function loadSchema(name: string): SchemaNode & Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, name), 'utf8')) as SchemaNode &
    Record<string, unknown>;
}

/** The environment file schema, as parsed JSON. */
export const environmentSchema = loadSchema('environment.schema.json');
/** The rule file schema, as parsed JSON. */
export const rulesSchema = loadSchema('rules.schema.json');

const ajv = new Ajv({
  allErrors: true,
  verbose: true,
  useDefaults: true,
  strict: true,
  // The rule schema's if/then branches name keys defined in the branch they select.
  strictRequired: false,
  strictTypes: false,
});
ajv.addKeyword({ keyword: 'x-allowed', schemaType: 'string' });
ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
ajv.addSchema(environmentSchema);
ajv.addSchema(rulesSchema);

/** Validators, compiled once at module load. Validating fills in schema defaults. */
export const validators = {
  environment: ajv.getSchema(
    environmentSchema.$id as string,
  ) as ValidateFunction<EnvironmentSettings>,
  ruleFile: ajv.getSchema(rulesSchema.$id as string) as ValidateFunction<RuleFileContent>,
  routingRules: ajv.compile<RuleFileContent['routing_rules']>({
    $ref: `${rulesSchema.$id as string}#/properties/routing_rules`,
  }),
  geographicRouting: ajv.compile<RuleFileContent['geographic_routing']>({
    $ref: `${rulesSchema.$id as string}#/properties/geographic_routing`,
  }),
};

const settingValidators = new Map<string, ValidateFunction>();

/** A compiled validator for one top-level environment setting (used for variables). */
export function settingValidator(key: string): ValidateFunction {
  let validate = settingValidators.get(key);
  if (!validate) {
    validate = ajv.compile({ $ref: `${environmentSchema.$id as string}#/properties/${key}` });
    settingValidators.set(key, validate);
  }
  return validate;
}

/** The schema of one top-level environment setting. */
export function settingSchema(key: string): SchemaNode | undefined {
  return environmentSchema.properties?.[key];
}
