/**
 * Hostile configuration inputs, as data: the content of one file (or one variable) and the
 * problem flagroute must report, with its code and position. `null` code: must load cleanly.
 * Run by test/config/hostile-inputs.test.ts.
 */
export interface HostileFileCase {
  name: string;
  /** `env`: environments/development.yaml; `rules`: rules/r.yaml (referenced by a valid env). */
  file: 'env' | 'rules';
  /** The file's bytes: text, or base64 with a `base64:` prefix for bytes that are not UTF-8. */
  content: string;
  code: string | null;
  line?: number;
  column?: number;
  /** A fragment the message must contain. */
  message?: string;
}

const deepFlow = (levels: number) => `a: ${'['.repeat(levels)}${']'.repeat(levels)}\n`;
const deepBlock = (levels: number) =>
  Array.from({ length: levels }, (_, depth) => `${' '.repeat(depth)}k${depth}:`).join('\n') +
  ' 1\n';
const deepConditions = (levels: number) =>
  `routing_rules:\n  deep:\n    conditions: ${'{"all": ['.repeat(levels)}{"fact": "x", "operator": "equal", "value": 1}${']}'.repeat(levels)}\n`;
const base64 = (bytes: number[]) => `base64:${Buffer.from(bytes).toString('base64')}`;
const text = (value: string) => [...Buffer.from(value)];

export const HOSTILE_FILES: HostileFileCase[] = [
  // Tags: only YAML's core types are accepted.
  {
    name: 'unknown local tag forcing a cohort',
    file: 'env',
    content: 'force_user_cohort: !foo lightrag\n',
    code: 'FORBIDDEN_TAG',
    line: 1,
    column: 20,
  },
  {
    name: '!!js/function',
    file: 'env',
    content: 'user_hash_salt: !!js/function "function(){}"\n',
    code: 'FORBIDDEN_TAG',
    line: 1,
    column: 17,
  },
  {
    name: '!!binary',
    file: 'env',
    content: 'user_hash_salt: !!binary aGVsbG8=\n',
    code: 'FORBIDDEN_TAG',
    line: 1,
    column: 17,
  },
  {
    name: '!!timestamp',
    file: 'env',
    content: 'user_hash_salt: !!timestamp 2026-01-01\n',
    code: 'FORBIDDEN_TAG',
    line: 1,
    column: 17,
  },
  {
    name: '!!set at the top',
    file: 'env',
    content: '!!set\n? a\n? b\n',
    code: 'FORBIDDEN_TAG',
    line: 1,
    column: 1,
  },
  {
    name: '!!omap',
    file: 'env',
    content: 'rollback_triggers: !!omap\n  - enabled: true\n',
    code: 'FORBIDDEN_TAG',
    line: 1,
    column: 20,
  },
  {
    name: 'verbatim tag',
    file: 'env',
    content: 'log_level: !<tag:example.com:x> info\n',
    code: 'FORBIDDEN_TAG',
    line: 1,
    column: 12,
  },
  {
    name: 'tag in a rule file',
    file: 'rules',
    content: 'routing_rules:\n  a: !foo {type: query_type, allowed_types: [x]}\n',
    code: 'FORBIDDEN_TAG',
    line: 2,
    column: 6,
  },
  {
    name: 'core !!str tag is only a string',
    file: 'env',
    content: 'rollout_percentage: !!str 10\n',
    code: 'SCHEMA',
    line: 1,
    column: 27,
  },
  {
    name: 'core !!float tag is fine',
    file: 'env',
    content: 'rollout_percentage: !!float 10.5\n',
    code: null,
  },
  // Numbers: decimal and finite only.
  {
    name: 'hex number',
    file: 'env',
    content: 'rollout_percentage: 0x19\n',
    code: 'NON_DECIMAL_NUMBER',
    line: 1,
    column: 21,
  },
  {
    name: 'octal number',
    file: 'env',
    content: 'circuit_breaker_threshold: 0o17\n',
    code: 'NON_DECIMAL_NUMBER',
    line: 1,
    column: 28,
  },
  {
    name: 'hex in a rule file',
    file: 'rules',
    content: 'geographic_routing:\n  eu: {rollout_percentage: 0x10}\n',
    code: 'NON_DECIMAL_NUMBER',
    line: 2,
    column: 28,
  },
  {
    name: '.nan',
    file: 'env',
    content: 'rollout_percentage: .nan\n',
    code: 'NON_DECIMAL_NUMBER',
    line: 1,
    column: 21,
  },
  {
    name: '.inf',
    file: 'env',
    content: 'min_quality_threshold: .inf\n',
    code: 'NON_DECIMAL_NUMBER',
    line: 1,
    column: 24,
  },
  {
    name: '-.Inf',
    file: 'env',
    content: 'rollout_percentage: -.Inf\n',
    code: 'NON_DECIMAL_NUMBER',
    line: 1,
    column: 21,
  },
  {
    name: 'binary-looking text is text',
    file: 'env',
    content: 'rollout_percentage: 0b11\n',
    code: 'SCHEMA',
    line: 1,
    column: 21,
  },
  {
    name: 'digit separators are text',
    file: 'env',
    content: 'rollout_percentage: 1_0\n',
    code: 'SCHEMA',
    line: 1,
    column: 21,
  },
  {
    name: 'overflowing exponent',
    file: 'env',
    content: 'rollout_percentage: 1e400\n',
    code: 'SCHEMA',
    line: 1,
    column: 21,
  },
  {
    name: 'a date is not a number',
    file: 'env',
    content: 'rollout_percentage: 2026-01-01\n',
    code: 'SCHEMA',
    line: 1,
    column: 21,
  },
  // Encodings and control characters.
  {
    name: 'raw NUL byte',
    file: 'env',
    content: 'rollout_percentage: 1\u0000\n',
    code: 'CONTROL_CHARACTER',
    line: 1,
    column: 22,
  },
  {
    name: 'NUL through an escape',
    file: 'env',
    content: 'user_hash_salt: "a\\0b"\n',
    code: 'CONTROL_CHARACTER',
    line: 1,
    column: 17,
  },
  {
    name: 'BEL through an escape',
    file: 'env',
    content: 'user_hash_salt: "a\\x07b"\n',
    code: 'CONTROL_CHARACTER',
    line: 1,
    column: 17,
  },
  {
    name: 'escape in a key',
    file: 'env',
    content: '"rollout\\u0001": 1\n',
    code: 'CONTROL_CHARACTER',
    line: 1,
    column: 1,
  },
  {
    name: 'raw escape character',
    file: 'env',
    content: 'log_level: info\u001b[31m\n',
    code: 'CONTROL_CHARACTER',
    line: 1,
    column: 16,
  },
  {
    name: 'invalid UTF-8 byte',
    file: 'env',
    content: base64([...text('user_hash_salt: ab'), 0xff, 0x0a]),
    code: 'INVALID_ENCODING',
    line: 1,
    column: 19,
  },
  {
    name: 'overlong UTF-8',
    file: 'env',
    content: base64([...text('log_level: '), 0xc0, 0xaf, 0x0a]),
    code: 'INVALID_ENCODING',
    line: 1,
    column: 12,
  },
  {
    name: 'encoded surrogate',
    file: 'env',
    content: base64([...text('a: 1\nlog_level: x'), 0xed, 0xa0, 0x80, 0x0a]),
    code: 'INVALID_ENCODING',
    line: 2,
    column: 13,
  },
  {
    name: 'truncated UTF-8 sequence',
    file: 'rules',
    content: base64([...text('routing_rules: {}\n# '), 0xe2, 0x82]),
    code: 'INVALID_ENCODING',
    line: 2,
    column: 3,
  },
  {
    name: 'UTF-16 file',
    file: 'env',
    content: base64([0xff, 0xfe, ...[...'a: 1\n'].flatMap((char) => [char.charCodeAt(0), 0])]),
    code: 'INVALID_ENCODING',
    line: 1,
    column: 1,
  },
  {
    name: 'a byte-order mark is fine',
    file: 'env',
    content: '\ufeffrollout_percentage: 5\n',
    code: null,
  },
  // Shape of the document.
  {
    name: 'null document (~)',
    file: 'env',
    content: '~\n',
    code: 'NOT_A_MAPPING',
    line: 1,
    column: 1,
  },
  {
    name: 'null document (null)',
    file: 'env',
    content: '# a comment\nnull\n',
    code: 'NOT_A_MAPPING',
    line: 2,
    column: 1,
  },
  {
    name: 'a list at the top',
    file: 'env',
    content: '- a\n- b\n',
    code: 'NOT_A_MAPPING',
    line: 1,
    column: 1,
  },
  {
    name: 'a number at the top',
    file: 'env',
    content: '42\n',
    code: 'NOT_A_MAPPING',
    line: 1,
    column: 1,
  },
  {
    name: 'text at the top',
    file: 'env',
    content: 'just some words\n',
    code: 'NOT_A_MAPPING',
    line: 1,
    column: 1,
  },
  {
    name: 'null rule file',
    file: 'rules',
    content: '~\n',
    code: 'NOT_A_MAPPING',
    line: 1,
    column: 1,
  },
  {
    name: 'empty environment file',
    file: 'env',
    content: '',
    code: 'EMPTY_FILE',
    line: 1,
    column: 1,
  },
  {
    name: 'comments only environment file',
    file: 'env',
    content: '# nothing yet\n',
    code: 'EMPTY_FILE',
    line: 1,
    column: 1,
  },
  {
    name: 'rule file with every rule commented out',
    file: 'rules',
    content: 'routing_rules:\n  # complex:\n  #   type: query_length\n',
    code: null,
  },
  {
    name: 'rule file of comments only',
    file: 'rules',
    content: '# rules come later\n',
    code: null,
  },
  {
    name: 'two documents',
    file: 'env',
    content: 'rollout_percentage: 1\n---\nrollout_percentage: 2\n',
    code: 'YAML_SYNTAX',
    line: 2,
    column: 1,
  },
  // Depth.
  {
    name: '3,000 nested lists',
    file: 'env',
    content: deepFlow(3000),
    code: 'DEPTH_LIMIT',
    line: 1,
  },
  {
    name: '65 nested lists',
    file: 'env',
    content: deepFlow(65),
    code: 'DEPTH_LIMIT',
    line: 1,
    column: 67,
  },
  {
    name: '100 nested mappings by indentation',
    file: 'env',
    content: deepBlock(100),
    code: 'DEPTH_LIMIT',
    line: 65,
  },
  {
    name: '200 nested json-rules-engine conditions',
    file: 'rules',
    content: deepConditions(200),
    code: 'DEPTH_LIMIT',
    line: 3,
  },
  // Keys.
  {
    name: '__proto__ key',
    file: 'env',
    content: '__proto__:\n  rollout_percentage: 100\n',
    code: 'FORBIDDEN_KEY',
    line: 1,
    column: 1,
  },
  {
    name: 'constructor key',
    file: 'env',
    content: 'constructor: 1\n',
    code: 'FORBIDDEN_KEY',
    line: 1,
    column: 1,
  },
  {
    name: 'nested prototype key',
    file: 'env',
    content: 'rollback_triggers:\n  prototype: 1\n',
    code: 'FORBIDDEN_KEY',
    line: 2,
    column: 3,
  },
  {
    name: '__proto__ rule name',
    file: 'rules',
    content: 'routing_rules:\n  __proto__: {type: query_type, allowed_types: [x]}\n',
    code: 'FORBIDDEN_KEY',
    line: 2,
    column: 3,
  },
  {
    name: 'duplicate key',
    file: 'env',
    content: 'rollout_percentage: 1\nrollout_percentage: 2\n',
    code: 'DUPLICATE_KEY',
    line: 2,
    column: 1,
  },
  {
    name: 'alias bomb',
    file: 'env',
    content: `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${'*a, '.repeat(10)}*a]\nc: &c [${'*b, '.repeat(10)}*b]\nd: [${'*c, '.repeat(10)}*c]\n`,
    code: 'ALIAS_LIMIT',
  },
  {
    name: 'unknown alias',
    file: 'env',
    content: 'rollout_percentage: *nowhere\n',
    code: 'YAML_SYNTAX',
    line: 1,
    column: 21,
  },
  // Indentation, with a hint.
  {
    name: 'value and indented key',
    file: 'env',
    content: 'rollout_percentage: 10\n  enable_ab_testing: true\n',
    code: 'YAML_SYNTAX',
    line: 1,
    message: 'cannot also have indented keys below it',
  },
  {
    name: 'misaligned sibling key',
    file: 'env',
    content: 'rollback_triggers:\n  enabled: true\n   min_samples: 5\n',
    code: 'YAML_SYNTAX',
    message: 'indent',
  },
  {
    name: 'tab indentation',
    file: 'env',
    content: 'rollback_triggers:\n\tenabled: true\n',
    code: 'YAML_SYNTAX',
    line: 2,
    message: 'tab',
  },
  // Values the schema refuses, with what is allowed.
  {
    name: 'misspelt rule type',
    file: 'rules',
    content: 'routing_rules:\n  a:\n    type: query_lenght\n    min_length: 3\n',
    code: 'SCHEMA',
    line: 3,
    column: 11,
    message: 'did you mean "query_length"?',
  },
  {
    name: 'YAML 1.1 boolean',
    file: 'env',
    content: 'enable_ab_testing: yes\n',
    code: 'SCHEMA',
    line: 1,
    column: 20,
    message: 'write true or false',
  },
  {
    name: 'kill switch without a reason',
    file: 'env',
    content: 'rollback:\n  at: 2026-01-01T00:00:00Z\n',
    code: 'SCHEMA',
    line: 2,
    column: 3,
    message: 'required key "reason"',
  },
  {
    name: 'kill switch with a bad time',
    file: 'env',
    content: 'rollback:\n  at: yesterday\n  reason: x\n',
    code: 'SCHEMA',
    line: 2,
    column: 7,
  },
  {
    name: 'rule file path climbing out',
    file: 'env',
    content: 'rule_files: [rules/../../etc/passwd.yaml]\n',
    code: 'SCHEMA',
    line: 1,
    column: 14,
  },
  {
    name: 'file over 1 MiB',
    file: 'env',
    content: `# ${'x'.repeat(1024 * 1024)}\nrollout_percentage: 1\n`,
    code: 'FILE_TOO_LARGE',
    line: 1,
    column: 1,
  },
];

/** Hostile `LIGHTRAG_*` variables: each must be an INVALID_ENV_VAR naming the variable. */
export const HOSTILE_VARIABLES: {
  name: string;
  variable: string;
  value: string;
  message: string;
}[] = [
  {
    name: 'hex percentage',
    variable: 'LIGHTRAG_ROLLOUT_PERCENTAGE',
    value: '0x19',
    message: 'a number from 0 to 100',
  },
  {
    name: 'binary percentage',
    variable: 'LIGHTRAG_ROLLOUT_PERCENTAGE',
    value: '0b11',
    message: 'a number from 0 to 100',
  },
  {
    name: 'octal threshold',
    variable: 'LIGHTRAG_CIRCUIT_BREAKER_FAILURE_THRESHOLD',
    value: '0o7',
    message: 'circuit_breaker_threshold',
  },
  {
    name: 'Infinity',
    variable: 'LIGHTRAG_ROLLOUT_PERCENTAGE',
    value: 'Infinity',
    message: 'a number from 0 to 100',
  },
  {
    name: 'digit separator',
    variable: 'LIGHTRAG_ROLLOUT_PERCENTAGE',
    value: '1_0',
    message: 'a number from 0 to 100',
  },
  {
    name: 'blank number',
    variable: 'LIGHTRAG_MIN_QUALITY_THRESHOLD',
    value: '  ',
    message: 'min_quality_threshold',
  },
  {
    name: '__proto__ rule',
    variable: 'LIGHTRAG_ROUTING_RULES',
    value: '{"__proto__": {"type": "query_type", "allowed_types": ["x"]}}',
    message: 'key "__proto__" is not allowed',
  },
  {
    name: 'constructor region',
    variable: 'LIGHTRAG_GEOGRAPHIC_ROUTING',
    value: '{"constructor": {"rollout_percentage": 5}}',
    message: 'key "constructor" is not allowed',
  },
  {
    name: 'duplicate JSON key',
    variable: 'LIGHTRAG_GEOGRAPHIC_ROUTING',
    value: '{"eu": {"rollout_percentage": 5}, "eu": {"rollout_percentage": 90}}',
    message: 'at line 1, column 35: duplicate key',
  },
  {
    name: '3,000 levels of JSON',
    variable: 'LIGHTRAG_ROUTING_RULES',
    value: `{"a": {"conditions": ${'{"all": ['.repeat(1500)}${']}'.repeat(1500)}}}`,
    message: 'nests deeper than 64 levels',
  },
  {
    name: 'NUL through a JSON escape',
    variable: 'LIGHTRAG_ROUTING_RULES',
    value: '{"a\\u0000": {"type": "query_type", "allowed_types": ["x"]}}',
    message: 'control character',
  },
  {
    name: 'JSON array instead of object',
    variable: 'LIGHTRAG_ROUTING_RULES',
    value: '[1, 2]',
    message: 'must be a mapping',
  },
  {
    name: 'malformed JSON',
    variable: 'LIGHTRAG_GEOGRAPHIC_ROUTING',
    value: '{eu: 5}',
    message: 'is not valid JSON',
  },
];
