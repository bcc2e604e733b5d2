import { describeJsonSyntaxError } from '../json-syntax.js';
import type { Result } from '../result.js';
import { controlCharacterWords, MAX_NESTING_DEPTH, parseConfigText } from './config-text.js';
import type { ConfigIssue } from './issues.js';
import { CONTROL_CHARACTER } from './node-checks.js';
import { describeAllowed, describeSecret, schemaIssues, suggestKey } from './schema-errors.js';
import { settingSchema, settingValidator, validators } from './schemas.js';
import type { RuleFileContent } from './types.js';

/** The `LIGHTRAG_*` variables and the environment-file key each one overrides. */
export const LIGHTRAG_SETTING_VARIABLES = {
  LIGHTRAG_INTEGRATION_ENABLED: 'integration_enabled',
  LIGHTRAG_ROLLOUT_PERCENTAGE: 'rollout_percentage',
  LIGHTRAG_ENABLE_AB_TESTING: 'enable_ab_testing',
  LIGHTRAG_ENABLE_CIRCUIT_BREAKER: 'enable_circuit_breaker',
  LIGHTRAG_CIRCUIT_BREAKER_FAILURE_THRESHOLD: 'circuit_breaker_threshold',
  LIGHTRAG_CIRCUIT_BREAKER_RECOVERY_TIMEOUT: 'circuit_breaker_recovery_timeout',
  LIGHTRAG_ENABLE_QUALITY_METRICS: 'enable_quality_metrics',
  LIGHTRAG_MIN_QUALITY_THRESHOLD: 'min_quality_threshold',
  LIGHTRAG_USER_HASH_SALT: 'user_hash_salt',
  LIGHTRAG_FORCE_USER_COHORT: 'force_user_cohort',
  LIGHTRAG_ENABLE_CONDITIONAL_ROUTING: 'enable_conditional_routing',
  LIGHTRAG_LOG_LEVEL: 'log_level',
  LIGHTRAG_ENABLE_DETAILED_LOGGING: 'enable_detailed_logging',
} as const;

/** Variables holding JSON that replaces the rules of the rule files. */
export const LIGHTRAG_RULE_VARIABLES = {
  LIGHTRAG_ROUTING_RULES: 'routing_rules',
  LIGHTRAG_GEOGRAPHIC_ROUTING: 'geographic_routing',
} as const;

/** A name of a `LIGHTRAG_*` variable flagroute reads. */
export type SettingVariable =
  | keyof typeof LIGHTRAG_SETTING_VARIABLES
  | keyof typeof LIGHTRAG_RULE_VARIABLES;

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);
const NULL_WORDS = new Set(['', 'null', 'none']);
/** A plain decimal number: no hex, octal or binary prefix, no `Infinity`, no digit separators. */
const DECIMAL = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** What the variables say, parsed and checked. */
export interface EnvironmentOverlay {
  /** Setting key -> value and the variable it came from. */
  settings: Map<string, { value: unknown; variable: string }>;
  /** Rule sections replaced by a variable. */
  rules: Partial<Record<keyof RuleFileContent, { value: unknown; variable: string }>>;
  issues: ConfigIssue[];
}

function variableIssue(variable: string, raw: string, message: string): ConfigIssue {
  return {
    code: 'INVALID_ENV_VAR',
    file: null,
    line: null,
    column: null,
    variable,
    pointer: '',
    message: `${JSON.stringify(raw)} ${message}`,
  };
}

function parseByType(raw: string, key: string): Result<{ value: unknown }, object> {
  const schema = settingSchema(key);
  const trimmed = raw.trim();
  const lower = trimmed.toLowerCase();
  if (schema?.type === 'boolean') {
    if (TRUE_WORDS.has(lower)) return { ok: true, value: true };
    if (FALSE_WORDS.has(lower)) return { ok: true, value: false };
    return { ok: false };
  }
  if (schema?.type === 'number' || schema?.type === 'integer') {
    if (!DECIMAL.test(trimmed) || !Number.isFinite(Number(trimmed))) return { ok: false };
    return { ok: true, value: Number(trimmed) };
  }
  if (schema?.enum) {
    if (schema.enum.includes(null) && NULL_WORDS.has(lower)) return { ok: true, value: null };
    const match = schema.enum.find((option) => typeof option === 'string' && option === lower);
    // A log level also accepts Python's spelling (WARNING, CRITICAL).
    if (match === undefined && key === 'log_level') {
      if (lower === 'warning') return { ok: true, value: 'warn' };
      if (lower === 'critical') return { ok: true, value: 'fatal' };
    }
    return { ok: true, value: match ?? trimmed };
  }
  return { ok: true, value: raw };
}

/**
 * Reads the `LIGHTRAG_*` variables from `env`. Each value is checked against the same schema
 * as the file key it overrides, so an error names the variable, its value and what is allowed.
 */
export function readEnvironmentOverlay(
  env: Readonly<Record<string, string | undefined>>,
): EnvironmentOverlay {
  const overlay: EnvironmentOverlay = { settings: new Map(), rules: {}, issues: [] };
  for (const [variable, key] of Object.entries(LIGHTRAG_SETTING_VARIABLES)) {
    const raw = env[variable];
    if (raw === undefined) continue;
    const refused = refusedCharacter(raw);
    if (refused !== undefined) {
      overlay.issues.push(settingIssue(variable, key, raw, refused));
      continue;
    }
    const parsed = parseByType(raw, key);
    if (parsed.ok && settingValidator(key)(parsed.value)) {
      overlay.settings.set(key, { value: parsed.value, variable });
    } else {
      overlay.issues.push(settingIssue(variable, key, raw));
    }
  }
  for (const [variable, section] of Object.entries(LIGHTRAG_RULE_VARIABLES)) {
    const raw = env[variable];
    if (raw === undefined || raw.trim() === '') continue;
    if (raw.includes(REPLACEMENT)) {
      overlay.issues.push(variableIssue(variable, shownJson(raw), NOT_UTF8));
      continue;
    }
    const read = readRuleVariable(variable, raw, section);
    overlay.issues.push(...read.issues);
    if (read.value !== undefined) overlay.rules[section] = { value: read.value, variable };
  }
  return overlay;
}

/**
 * The last value read from each rule variable: every reload reads the variables again, and a
 * variable of 20,000 rules took seconds to parse and check, each time, for the same text.
 */
const lastRuleVariables = new Map<string, { raw: string; value: unknown; issues: ConfigIssue[] }>();

/** A rule variable's value, checked (or its issues), read again only when its text changed. */
function readRuleVariable(
  variable: string,
  raw: string,
  section: string,
): { value: unknown; issues: readonly ConfigIssue[] } {
  const last = lastRuleVariables.get(variable);
  if (last?.raw === raw) return last;
  const issues: ConfigIssue[] = [];
  let value = parseJsonVariable(variable, raw, section, issues);
  if (value !== undefined && !rulesValid(variable, section, value, issues)) value = undefined;
  const read = { raw, value, issues };
  lastRuleVariables.set(variable, read);
  return read;
}

/** The names of every `LIGHTRAG_*` variable flagroute reads. */
export const LIGHTRAG_VARIABLES: readonly SettingVariable[] = [
  ...(Object.keys(LIGHTRAG_SETTING_VARIABLES) as SettingVariable[]),
  ...(Object.keys(LIGHTRAG_RULE_VARIABLES) as SettingVariable[]),
];

/** A `LIGHTRAG_*` variable flagroute does not read (most likely a misspelt one). */
export interface UnknownVariable {
  variable: string;
  /** The variable it most likely meant, if one is close. */
  suggestion?: SettingVariable;
  /** `LIGHTRAG_ROLLOUT_PERCENT is not a variable flagroute reads (did you mean ...?); ...` */
  message: string;
}

/**
 * The `LIGHTRAG_*` variables in `env` that flagroute does not read, each with a did-you-mean.
 * They are ignored, so a misspelt one would silently leave the file's value in force: a
 * warning, not an error (other tools of the old Python service may share the prefix).
 */
export function unknownVariables(
  env: Readonly<Record<string, string | undefined>>,
): UnknownVariable[] {
  const known = new Set<string>(LIGHTRAG_VARIABLES);
  return Object.keys(env)
    .filter((name) => name.startsWith('LIGHTRAG_') && !known.has(name))
    .sort()
    .map((variable) => {
      const suggestion = suggestKey(variable, LIGHTRAG_VARIABLES) as SettingVariable | undefined;
      const hint = suggestion ? ` (did you mean ${suggestion}?)` : '';
      return {
        variable,
        ...(suggestion ? { suggestion } : {}),
        message: `${variable} is not a variable flagroute reads${hint}; it is ignored (the variables are listed in docs/configuration.md)`,
      };
    });
}

/**
 * U+FFFD, the character Node puts in `process.env` for bytes of a variable that are not UTF-8
 * (the raw bytes are gone by then). A value holding it is not the one that was set: a salt
 * `\xff` would hash as U+FFFD, unlike the Python service, and every such salt would be one.
 */
const REPLACEMENT = '\uFFFD';
const NOT_UTF8 =
  'contains U+FFFD, which is what bytes that are not UTF-8 become when the environment is read, so the value is not the one set (and a genuine U+FFFD cannot be told apart); set the variable in UTF-8';

/** Why a setting variable's text is refused whatever its setting: U+FFFD, a control character. */
function refusedCharacter(raw: string): string | undefined {
  if (raw.includes(REPLACEMENT)) return NOT_UTF8;
  const control = CONTROL_CHARACTER.exec(raw);
  return control ? controlCharacterWords(control[0]) : undefined;
}

/**
 * A setting variable's value that is not allowed (`why`, by default what its setting allows);
 * a secret is described, never shown.
 */
function settingIssue(variable: string, key: string, raw: string, why?: string): ConfigIssue {
  const allowed = why ?? `is not allowed for ${key}; it must be ${describeFor(key)}`;
  const issue = variableIssue(variable, raw, allowed);
  if (settingSchema(key)?.['x-secret'] !== true) return issue;
  return { ...issue, message: `${describeSecret(raw)} ${allowed}` };
}

/** Checks a rule variable's JSON against its rule-file section's schema. */
function rulesValid(
  variable: string,
  section: string,
  value: unknown,
  issues: ConfigIssue[],
): boolean {
  const validate =
    section === 'routing_rules' ? validators.routingRules : validators.geographicRouting;
  if (validate(value)) return true;
  for (const issue of schemaIssues(validate.errors ?? [], { kind: 'variable', variable })) {
    issues.push({ ...issue, code: 'INVALID_ENV_VAR' });
  }
  return false;
}

/**
 * The JSON object a rule variable holds, checked as strictly as a YAML file (duplicate keys,
 * prototype keys, nesting depth, control characters); problems are added to `issues`.
 */
function parseJsonVariable(
  variable: string,
  raw: string,
  section: string,
  issues: ConfigIssue[],
): unknown {
  const shown = shownJson(raw);
  const expected = `it must be a JSON object like the ${section} section of a rule file`;
  const refuse = (message: string) => {
    issues.push(variableIssue(variable, shown, message));
    return undefined;
  };
  if (jsonDepth(raw) > MAX_NESTING_DEPTH) {
    return refuse(
      `nests deeper than ${MAX_NESTING_DEPTH} levels of objects and arrays; ${expected}`,
    );
  }
  try {
    JSON.parse(raw);
  } catch {
    return refuse(`is not valid JSON (${describeJsonSyntaxError(raw)}); ${expected}`);
  }
  // JSON is YAML: the YAML checks find what JSON.parse lets through (duplicate keys above all).
  const checked = parseConfigText(raw);
  if (checked.ok) return checked.data;
  for (const problem of checked.problems) {
    const { line, col } = checked.lineCounter.linePos(problem.offset);
    const message = `at line ${line}, column ${col}: ${problem.message}`;
    issues.push({ ...variableIssue(variable, shown, ''), message });
  }
  return undefined;
}

/** A rule variable's JSON as a message shows it: its first 60 characters. */
function shownJson(raw: string): string {
  return raw.length > 60 ? `${raw.slice(0, 60)}…` : raw;
}

/** The deepest nesting of objects and arrays in JSON text, counted outside strings. */
function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') deepest = Math.max(deepest, ++depth);
    else if (char === '}' || char === ']') depth -= 1;
  }
  return deepest;
}

function describeFor(key: string): string {
  const schema = settingSchema(key);
  if (!schema) return 'a valid value';
  if (schema.type === 'boolean') return 'true/false, 1/0, yes/no or on/off (any case)';
  return describeAllowed(schema);
}
