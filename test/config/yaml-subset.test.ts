import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/config-text.js';
import { lazyYamlFile, sectionEntriesOf } from '../../src/config/lazy-yaml-file.js';
import { tryLoadConfig } from '../../src/config/load-config.js';
import { parseYamlText, type YamlFile } from '../../src/config/yaml-file.js';
import { parseYamlSubset } from '../../src/config/yaml-subset.js';
import { ruleEntries } from '../bench/rule-configs.js';
import { tempConfigDir } from '../helpers/config-dir.js';

/** A tree of YAML to write out, each collection in block or flow style. */
type Tree =
  | { kind: 'scalar'; text: string }
  | { kind: 'map'; flow: boolean; pairs: [string, Tree][] }
  | { kind: 'list'; flow: boolean; items: Tree[] };

const SECTION = 's';

// Numbers of every shape the two parsers might read differently.
const numberText = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('', '-', '+'),
      fc.stringMatching(/^[0-9]{0,4}$/),
      fc.constantFrom('', '.', '.5', '.05', '.50', '.0'),
      fc.constantFrom('', 'e3', 'E+2', 'e-1', 'e'),
    )
    .map((parts) => parts.join('')),
  fc.constantFrom(
    '0x1F',
    '0o17',
    '0b101',
    '1_000',
    '.inf',
    '-.Inf',
    '+.INF',
    '.nan',
    '.NaN',
    '-0',
    '007',
    '1.',
    '1.e2',
    '0xG',
    '1e400',
    '9007199254740993',
    '0.1e-400',
    '1:20',
    '12:30:45',
    '2001-12-14',
  ),
);
const wordText = fc.oneof(
  fc.constantFrom(
    'true',
    'True',
    'TRUE',
    'tRUE',
    'false',
    'False',
    'FALSE',
    'yes',
    'no',
    'on',
    'off',
    'y',
    'N',
    '~',
    'null',
    'Null',
    'NULL',
    'nULL',
    '<<',
    '__proto__',
    'constructor',
    'toString',
    'a:b',
    'a #b',
    '-a',
    'a?',
    '? a',
    'x|y',
    'é',
    'a b',
    '=',
    '@x',
    '`x',
    '%x',
    'a,b',
  ),
  fc.stringMatching(/^[a-z_][a-z0-9_ .-]{0,6}$/),
);
const singleQuoted = fc
  .string({ unit: fc.constantFrom('a', ' ', "''", '#', ':', '\\', '"', 'é', '\\n') })
  .map((inner) => `'${inner}'`);
const doubleQuoted = fc
  .array(
    fc.constantFrom(
      'a',
      ' ',
      '\\\\',
      '\\"',
      '\\0',
      '\\x41',
      '\\x07',
      '\\u00e9',
      '\\U0001F600',
      '\\t',
      '\\n',
      '\\N',
      '\\_',
      '\\e',
      '\\/',
      "'",
      '#',
      ':',
      '\\q',
    ),
    { maxLength: 5 },
  )
  .map((parts) => `"${parts.join('')}"`);
const scalarText = fc.oneof(
  { weight: 3, arbitrary: numberText },
  { weight: 3, arbitrary: wordText },
  { weight: 2, arbitrary: singleQuoted },
  { weight: 2, arbitrary: doubleQuoted },
  { weight: 1, arbitrary: fc.constant('') },
);
const keyText = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/) },
  { weight: 1, arbitrary: numberText },
  { weight: 1, arbitrary: wordText },
  { weight: 1, arbitrary: singleQuoted },
  { weight: 1, arbitrary: doubleQuoted },
);

const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarText.map((text) => ({ kind: 'scalar', text }) as Tree),
    fc
      .record({
        flow: fc.boolean(),
        pairs: fc.array(fc.tuple(keyText, tie('tree')), { maxLength: 4 }),
      })
      .map((map) => ({ kind: 'map', ...map }) as Tree),
    fc
      .record({ flow: fc.boolean(), items: fc.array(tie('tree'), { maxLength: 3 }) })
      .map((list) => ({ kind: 'list', ...list }) as Tree),
  ),
}));

function flowText(node: Tree): string {
  if (node.kind === 'scalar') return node.text;
  if (node.kind === 'list') return `[${node.items.map(flowText).join(', ')}]`;
  return `{${node.pairs.map(([key, value]) => `${key}: ${flowText(value)}`).join(', ')}}`;
}

/** Lines of `node` as a block collection at `indent` (or one line, for a scalar or flow). */
function blockLines(node: Tree, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (node.kind === 'scalar' || node.flow) return [`${pad}${flowText(node)}`];
  if (node.kind === 'map' && node.pairs.length === 0) return [`${pad}{}`];
  if (node.kind === 'list' && node.items.length === 0) return [`${pad}[]`];
  const lines: string[] = [];
  const entries: [string, Tree][] =
    node.kind === 'map'
      ? node.pairs.map(([key, value]) => [`${key}:`, value])
      : node.items.map((item) => ['-', item]);
  for (const [index, [lead, value]] of entries.entries()) {
    if (
      lead === '-' &&
      value.kind === 'map' &&
      !value.flow &&
      value.pairs.length > 0 &&
      index % 2 === 0
    ) {
      // A compact mapping in a list: `- a: 1` with its other keys under `a`.
      const [first = '', ...rest] = blockLines(value, indent + 2);
      lines.push(`${pad}- ${first.trimStart()}`, ...rest);
    } else if (value.kind === 'scalar' || value.flow) {
      lines.push(`${pad}${lead} ${flowText(value)}`.trimEnd());
    } else {
      lines.push(`${pad}${lead}`, ...blockLines(value, indent + 2));
    }
  }
  return lines;
}

/** Small edits that take a text into, out of and around the subset. */
const FRAGMENTS = [
  '&a ',
  '*a',
  '!!str ',
  '!!int ',
  '! ',
  '!foo ',
  '!<?> ',
  '? ',
  '<<: ',
  ': ',
  '\t',
  '\r',
  '\r\n',
  '|\n',
  '>-\n',
  '%YAML 1.1\n---\n',
  '---\n',
  '...\n',
  '\n',
  ' ',
  '  ',
  '# c',
  ':',
  ' :',
  '#',
  '- a: 1\n',
  '  b: 2\n',
  '"',
  "'",
  '[',
  '{',
  ',',
  '- ',
  '\\0',
  '\u0000',
  '\uFEFF',
  'a: 1\n',
  '0x1: 1\n',
  'null: 1\n',
  '~: 1\n',
  '__proto__: 1\n',
  `${'k'.repeat(1030)}: 1\n`,
  // What an outside tester's differential fuzzing found the fast path took wrongly.
  '"\\U00110000"',
  '"\\UD800DC00"',
  '--- ',
  '--- a: 1\n',
  '{[x]}',
  '{[x], ',
  '{{x: 1}}',
  ', [y]',
  ', {y: 1}',
];
const edit = fc.tuple(fc.nat(), fc.constantFrom(...FRAGMENTS));

/** A document: a top-level mapping (often with the section), sometimes edited. */
const documentText = fc
  .record({
    top: fc.array(fc.tuple(keyText, tree), { maxLength: 4 }),
    section: fc.option(fc.array(fc.tuple(keyText, tree), { maxLength: 4 })),
    sectionFlow: fc.boolean(),
    comments: fc.boolean(),
    marker: fc.constantFrom('', '---\n', '--- # c\n'),
    crlf: fc.boolean(),
    edits: fc.oneof(fc.constant([]), fc.array(edit, { minLength: 1, maxLength: 2 })),
  })
  .map(({ top, section, sectionFlow, comments, marker, crlf, edits }) => {
    const pairs: [string, Tree][] = [...top];
    if (section) pairs.splice(1, 0, [SECTION, { kind: 'map', flow: sectionFlow, pairs: section }]);
    let lines = blockLines({ kind: 'map', flow: false, pairs }, 0);
    if (comments)
      lines = lines.flatMap((line, index) => (index % 2 ? [`${line} # c`, ''] : [line]));
    let text = `${marker}${lines.join('\n')}\n`;
    for (const [at, fragment] of edits) {
      const offset = at % (text.length + 1);
      text = text.slice(0, offset) + fragment + text.slice(offset);
    }
    return crlf ? text.replaceAll('\n', '\r\n') : text;
  });

/** A file of the full path's document, for the places of its entries. */
function fullFileOf(text: string): YamlFile {
  const checked = parseConfigText(text);
  if (!checked.ok) throw new Error('refused');
  const { document, lineCounter, data } = checked;
  return { path: 'f', displayPath: 'f', text, document, lineCounter, data };
}

/** Holds the fast path to the full path for one text; whether the fast path accepted it. */
function expectAgreement(text: string): boolean {
  const fast = parseYamlSubset(text, [SECTION]);
  const full = parseConfigText(text);
  if (fast === undefined) return false;
  expect(full.ok, 'the fast path accepted a text the full path refuses').toBe(true);
  if (!full.ok) return true;
  expect(fast.data).toStrictEqual(full.data);
  // Key order too (toStrictEqual ignores it), and -0 against 0 (JSON does not tell them apart).
  expect(JSON.stringify(fast.data)).toBe(JSON.stringify(full.data));
  expect(Object.keys(fast.data)).toStrictEqual(Object.keys(full.data));
  const lazy = lazyYamlFile(text, 'f', 'f', fast, {});
  const { lineStarts, ...recorded } = sectionEntriesOf(lazy, SECTION);
  const { lineStarts: fullStarts, ...written } = sectionEntriesOf(fullFileOf(text), SECTION);
  if (fast.sections.has(SECTION)) expect(recorded).toStrictEqual(written);
  expect(lineStarts).toStrictEqual(fullStarts);
  return true;
}

describe('parseYamlSubset', () => {
  it('gives the full path’s data and places whenever it accepts, and never accepts what the full path refuses', () => {
    let accepted = 0;
    let valid = 0;
    fc.assert(
      fc.property(documentText, (text) => {
        if (parseConfigText(text).ok) valid += 1;
        if (expectAgreement(text)) accepted += 1;
      }),
      { numRuns: Number(process.env.YAML_SUBSET_RUNS ?? 4000) },
    );
    // The property says nothing if the fast path refuses everything: it reads about two thirds
    // of the valid texts made here (the rest it leaves out of caution: "#" in quotes, CRLF and
    // empty values, scalars over several lines).
    expect(accepted).toBeGreaterThan(valid / 3);
  });

  it('reads the rule files a large configuration is made of', () => {
    const text = `routing_rules:\n${ruleEntries(0, 200).join('\n')}\ngeographic_routing:\n  eu: {rollout_percentage: 5}\n`;
    const fast = parseYamlSubset(text, ['routing_rules', 'geographic_routing']);
    expect(fast).toBeDefined();
    expect(expectAgreement(text)).toBe(true);
    expect(fast!.sections.get('routing_rules')!.names).toHaveLength(200);
  });

  // Each way out of the subset; the full path's answer (data or refusal) is unchanged.
  it.each([
    ['a tag', 'a: !!str 1\n'],
    ['a non-specific tag', 'a: ! 1\n'],
    ['a verbatim tag', 'a: !<?> "1"\n'],
    ['a local tag', 'a: !foo 1\n'],
    ['an anchor', 'a: &x 1\n'],
    ['an alias', 'a: &x 1\nb: *x\n'],
    ['a merge key', 'a: {x: 1}\nb:\n  <<: {y: 2}\n'],
    ['an explicit key', '? a\n: 1\n'],
    ['a list as a key', '[a, b]: 1\n'],
    ['a mapping as a key', '{a: 1}: 1\n'],
    ['a null key', 'null: 1\n'],
    ['an empty key', '~: 1\n'],
    ['a directive', '%YAML 1.1\n---\na: 1\n'],
    ['two documents', 'a: 1\n---\nb: 2\n'],
    ['a literal block scalar', 'a: |\n  x\n'],
    ['a folded block scalar', 'a: >-\n  x\n'],
    ['a tab', 'a:\t1\n'],
    ['a carriage return alone', 'a: 1\rb: 2\n'],
    ['a byte-order mark', '\uFEFFa: 1\n'],
    ['a hex number', 'a: 0x1F\n'],
    ['an octal number', 'a: 0o17\n'],
    ['infinity', 'a: -.inf\n'],
    ['not a number', 'a: .NaN\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a duplicate key by value', '1: a\n1.0: b\n'],
    ['a prototype key', '__proto__: {x: 1}\n'],
    ['a constructor key', 'a: {constructor: 1}\n'],
    ['a NUL in the text', 'a: "x\u0000"\n'],
    ['a NUL escape', 'a: "x\\0"\n'],
    ['a control character escape in a key', '"k\\x07": 1\n'],
    ['a key longer than 1024 characters', `${'k'.repeat(1025)}: 1\n`],
    ['nesting deeper than the limit', `a: ${'['.repeat(65)}${']'.repeat(65)}\n`],
    ['nesting deeper than js-yaml goes', `a: ${'['.repeat(500)}${']'.repeat(500)}\n`],
    ['a list at the top', '- a\n'],
    ['a scalar at the top', 'a\n'],
    ['nothing', '# only a comment\n'],
    ['a syntax error', 'a: [1\n'],
    ['a list item with nothing on its line', 'a:\n  - a:\n      -\n  - x\n'],
    ['a value that is an empty node', 'a: [x, ]\nb: {c: }\n'],
    ['a plain scalar over two lines', 'a: x\n  y\n'],
    ['a quoted scalar over two lines', 'a:\n  - "x\n  y"\n'],
    ['a flow list over two lines', 'a: [1,\n  2]\n'],
    ['a line back to a column between two levels', 'a:\n  -\n    b: 1\n -\n    c: 2\n'],
    ['a comment right after a quote', "a: 'x'#c\n"],
    ['a document marker run into its comment', '---# c\na: 1\n'],
    // Found by an outside tester's differential fuzzing (session 13): each was taken by the fast
    // path where the full path refuses it or reads other data.
    ['an escape past U+10FFFF', 'a: "\\U00110000"\n'],
    ['an escape past U+10FFFF in a key', '"\\U00110000": 1\n'],
    ['an escape of a surrogate pair', 'a: "\\UD800DC00"\n'],
    ['an in-range \\U escape (cautious)', 'a: "\\U0001F600"\n'],
    ['a mapping on the document marker line', '--- a: 1\n'],
    ['a flow mapping on the document marker line', '--- routing_rules: {r: {x: 1}}\n'],
    ['a list as a lone key of a flow mapping', 'a: {[x]}\n'],
    ['a list as a later lone key of a flow mapping', 'a: {b: 1, [x, y]}\n'],
    ['a mapping as a lone key of a flow mapping', 'a: {{x: 1}}\n'],
    ['a prototype key inside a collection key', 'a: {[{__proto__: 1}]}\n'],
    ['a control character inside a collection key', 'a: {{b: "\\x07"}}\n'],
    ['a collection key deeper than the limit', `a: {[${'{a: '.repeat(70)}1${'}'.repeat(70)}]}\n`],
    [
      'a collection key in a rule condition',
      'routing_rules:\n  r:\n    conditions: {all: [{fact: region, operator: equal, value: {[eu]}}]}\n',
    ],
  ])('leaves %s to the full path', (_what, text) => {
    expect(parseYamlSubset(text)).toBeUndefined();
    const fullPath = parseConfigText(text);
    const read = parseYamlText(text, '/f.yaml', 'f.yaml');
    if (fullPath.ok) {
      expect(read.ok && read.file.data).toStrictEqual(fullPath.data);
    } else {
      const lines = fullPath.problems.map((problem) =>
        fullPath.lineCounter.linePos(problem.offset),
      );
      expect(read.ok).toBe(false);
      if (!read.ok) {
        expect(read.issues.map((issue) => [issue.code, issue.line, issue.column])).toStrictEqual(
          fullPath.problems.map((problem, index) => [
            problem.code,
            lines[index]!.line,
            lines[index]!.col,
          ]),
        );
      }
    }
  });

  it('accepts a deep document within the limit', () => {
    const text = `a: ${'['.repeat(63)}1${']'.repeat(63)}\n`;
    expect(expectAgreement(text)).toBe(true);
  });

  it('makes the document only when it is asked for, as the full path makes it', () => {
    const text = 'a: 1\nb:\n  c: [x, "y"]\n';
    const read = parseYamlText(text, '/f.yaml', 'f.yaml');
    if (!read.ok) throw new Error('refused');
    const full = parseConfigText(text);
    if (!full.ok) throw new Error('refused');
    expect(read.file.data).toStrictEqual(full.data);
    expect(read.file.document.toJS()).toStrictEqual(full.document.toJS());
    expect(read.file.lineCounter.lineStarts).toStrictEqual(full.lineCounter.lineStarts);
    expect(read.file.document).toBe(read.file.document);
  });
});

describe('a configuration read on the fast path', () => {
  it('loads as on the full path: rules, origins, places, regions, environment and version', async () => {
    const rules = `routing_rules:\n${ruleEntries(0, 300).join('\n')}\n  "12": {type: query_type, allowed_types: [x]}\ngeographic_routing:\n  us_east: {rollout_percentage: 25}\n  "7": {rollout_percentage: 7}\n`;
    const environment =
      'rollout_percentage: 10\nenable_conditional_routing: true\nrule_files: [rules/a.yaml]\n';
    // A comment line ending in " |" (a block scalar's header, to the pre-scan) sends each file
    // the full way without changing its data or any place above it.
    const fullWay = '# the full way |\n';
    expect(parseYamlSubset(rules)).toBeDefined();
    expect(parseYamlSubset(environment)).toBeDefined();
    expect(parseYamlSubset(rules + fullWay)).toBeUndefined();
    const load = async (suffix: string) => {
      const { dir } = await tempConfigDir({
        'environments/bench.yaml': environment + suffix,
        'rules/a.yaml': rules + suffix,
      });
      const options = { configDir: dir, environment: 'bench', env: {}, cwd: dir, stabilityMs: 0 };
      const result = await tryLoadConfig(options);
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      return result.config;
    };
    const fast = await load('');
    const full = await load(fullWay);
    expect(fast.routingRules).toStrictEqual(full.routingRules);
    expect(fast.geographicRouting).toStrictEqual(full.geographicRouting);
    expect(fast.settings).toStrictEqual(full.settings);
    expect([...fast.origins]).toStrictEqual([...full.origins]);
    expect(fast.version).toBe(full.version);
    expect(fast.routingRules[0]).toMatchObject({ name: '12', at: { line: 1052, column: 9 } });
  });

  it('reports a schema problem at the full path’s place', async () => {
    const rules =
      'routing_rules:\n  a: {type: query_type, allowed_types: [x]}\n  b:\n    type: query_length\n    max_length: -1\n';
    expect(parseYamlSubset(rules)).toBeDefined();
    const { dir } = await tempConfigDir({
      'environments/bench.yaml': 'rule_files: [rules/a.yaml]\n',
      'rules/a.yaml': rules,
    });
    const result = await tryLoadConfig({
      configDir: dir,
      environment: 'bench',
      env: {},
      cwd: dir,
      stabilityMs: 0,
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues[0]).toMatchObject({ file: 'rules/a.yaml', line: 5, column: 17 });
    }
  });
});
