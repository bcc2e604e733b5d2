import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvInstance, ValidateFunction } from 'ajv';
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
/** The outcome schema (an event log line, with the report and posted shapes), as parsed JSON. */
export const outcomeSchema = loadSchema('outcome-event.schema.json');
/** The experiment statistics schema, as parsed JSON. */
export const statsSchema = loadSchema('experiment-stats.schema.json');

/** The options every flagroute validator is compiled with (at build time and at run time alike). */
export const AJV_OPTIONS = {
  allErrors: true,
  verbose: true,
  useDefaults: true,
  strict: true,
  // The rule schema's if/then branches name keys defined in the branch they select.
  strictRequired: false,
  strictTypes: false,
} as const;

/**
 * Schema ids of the validators: the two configuration files, the two rule sections, the four
 * shapes of an outcome (and the decision it follows), the experiment statistics (and, generated apart, each setting).
 */
export const VALIDATOR_IDS = {
  environment: environmentSchema.$id as string,
  ruleFile: rulesSchema.$id as string,
  routingRules: `${rulesSchema.$id as string}#/properties/routing_rules`,
  geographicRouting: `${rulesSchema.$id as string}#/properties/geographic_routing`,
  outcomeEvent: outcomeSchema.$id as string,
  outcomeReport: `${outcomeSchema.$id as string}#/definitions/report`,
  outcomePosted: `${outcomeSchema.$id as string}#/definitions/posted`,
  outcomeDecision: `${outcomeSchema.$id as string}#/definitions/decision`,
  exposureEvent: `${outcomeSchema.$id as string}#/definitions/exposure`,
  experimentStats: statsSchema.$id as string,
};

/** The export name of one setting's validator in the generated module. */
export function settingExport(key: string): string {
  return `setting_${key}`;
}

/** An Ajv with flagroute's schemas and keywords, to compile from or to generate code with. */
export function flagrouteAjv(options: { code?: { source: true; esm: boolean } } = {}): AjvInstance {
  // Loaded on first use: with the generated validators a command never loads Ajv at all.
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  const ajv = new Ajv({ ...AJV_OPTIONS, ...options });
  ajv.addKeyword({ keyword: 'x-allowed', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  for (const schema of [environmentSchema, rulesSchema, outcomeSchema, statsSchema]) {
    ajv.addSchema(schema);
  }
  return ajv;
}

/** The validators; those of outcomes and statistics are typed where they are used. */
type Validators = {
  environment: ValidateFunction<EnvironmentSettings>;
  ruleFile: ValidateFunction<RuleFileContent>;
  routingRules: ValidateFunction<RuleFileContent['routing_rules']>;
  geographicRouting: ValidateFunction<RuleFileContent['geographic_routing']>;
  outcomeEvent: ValidateFunction;
  outcomeReport: ValidateFunction;
  outcomePosted: ValidateFunction;
  outcomeDecision: ValidateFunction;
  exposureEvent: ValidateFunction;
  experimentStats: ValidateFunction;
};

/**
 * The modules of validators generated at build time (see generate-validators.ts), beside this
 * one in `dist/config`: compiling the schemas took a third of a command's start-up. Three
 * groups, so that a command parses only what it uses: the configuration's validators at start,
 * each setting's (the variables overlay) and the outcomes' and statistics' on first use. (One
 * module of all of them was 525 KB of code for every command to parse.)
 */
export const GENERATED_VALIDATORS = {
  config: 'config-validators.generated.cjs',
  settings: 'setting-validators.generated.cjs',
  outcomes: 'outcome-validators.generated.cjs',
} as const;

/** A group of generated validators (`settings` holds every `setting_*`). */
export type ValidatorGroup = keyof typeof GENERATED_VALIDATORS;

/** The group each named validator is generated in. */
export const VALIDATOR_GROUPS: Readonly<
  Record<keyof typeof VALIDATOR_IDS, Exclude<ValidatorGroup, 'settings'>>
> = {
  environment: 'config',
  ruleFile: 'config',
  routingRules: 'config',
  geographicRouting: 'config',
  outcomeEvent: 'outcomes',
  outcomeReport: 'outcomes',
  outcomePosted: 'outcomes',
  outcomeDecision: 'outcomes',
  exposureEvent: 'outcomes',
  experimentStats: 'outcomes',
};

const require = createRequire(import.meta.url);
const groups = new Map<ValidatorGroup, Record<string, ValidateFunction> | null>();

/**
 * A group's generated module, loaded on first use; null when running from source (the tests),
 * where no build wrote it and Ajv compiles the schemas here instead.
 */
function generatedGroup(group: ValidatorGroup): Record<string, ValidateFunction> | null {
  let loaded = groups.get(group);
  if (loaded === undefined) {
    try {
      loaded = require(`./${GENERATED_VALIDATORS[group]}`) as Record<string, ValidateFunction>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
      loaded = null;
    }
    groups.set(group, loaded);
  }
  return loaded;
}

let compiler: AjvInstance | undefined;
function compiled(): AjvInstance {
  compiler ??= flagrouteAjv();
  return compiler;
}

/** One named validator: generated, or compiled here when running from source. */
function validatorOf(name: keyof typeof VALIDATOR_IDS): ValidateFunction {
  const generated = generatedGroup(VALIDATOR_GROUPS[name])?.[name];
  if (generated) return generated;
  const id = VALIDATOR_IDS[name];
  return id.includes('#') ? compiled().compile({ $ref: id }) : compiled().getSchema(id)!;
}

/**
 * A validator loaded on its first call; after each call its `errors` are those of the call,
 * as Ajv's own validators keep them.
 */
function onFirstCall(name: keyof typeof VALIDATOR_IDS): ValidateFunction {
  let validate: ValidateFunction | undefined;
  const call = ((data: unknown) => {
    validate ??= validatorOf(name);
    const ok = validate(data);
    call.errors = validate.errors ?? null;
    return ok;
  }) as ValidateFunction;
  return call;
}

/** Validators, compiled once (or generated at build time). Validating fills in schema defaults. */
export const validators: Validators = {
  environment: validatorOf('environment') as Validators['environment'],
  ruleFile: validatorOf('ruleFile') as Validators['ruleFile'],
  routingRules: validatorOf('routingRules') as Validators['routingRules'],
  geographicRouting: validatorOf('geographicRouting') as Validators['geographicRouting'],
  outcomeEvent: onFirstCall('outcomeEvent'),
  outcomeReport: onFirstCall('outcomeReport'),
  outcomePosted: onFirstCall('outcomePosted'),
  outcomeDecision: onFirstCall('outcomeDecision'),
  exposureEvent: onFirstCall('exposureEvent'),
  experimentStats: onFirstCall('experimentStats'),
};

const settingValidators = new Map<string, ValidateFunction>();

/** A validator for one top-level environment setting (used for variables). */
export function settingValidator(key: string): ValidateFunction {
  let validate = settingValidators.get(key) ?? generatedGroup('settings')?.[settingExport(key)];
  if (!validate) {
    validate = compiled().compile({ $ref: `${VALIDATOR_IDS.environment}#/properties/${key}` });
  }
  settingValidators.set(key, validate);
  return validate;
}

/** The schema of one top-level environment setting. */
export function settingSchema(key: string): SchemaNode | undefined {
  return environmentSchema.properties?.[key];
}
