import { isScalar } from 'yaml';
import type { ConfigIssue } from './issues.js';
import { settingSchema } from './schemas.js';
import type { YamlFile } from './yaml-file.js';

/** The variable that carries the salt. */
const SALT_VARIABLE = 'LIGHTRAG_USER_HASH_SALT';
/** Shorter values are not scrubbed from text: they would match ordinary words. */
const MIN_SCRUBBED_LENGTH = 4;
const MASK = '[secret]';

/**
 * The salt values present in an environment file (its value and its source text, valid or not)
 * or in the variables, so that they can be scrubbed from every message.
 */
export function secretsOf(
  source: YamlFile | Readonly<Record<string, string | undefined>>,
): string[] {
  const found: string[] = [];
  if ('document' in source && 'lineCounter' in source) {
    const node = (source as YamlFile).document.get('user_hash_salt', true);
    if (isScalar(node)) {
      found.push(String(node.value));
      if (typeof node.source === 'string') found.push(node.source);
    }
    const raw = (source as YamlFile).data.user_hash_salt;
    if (raw !== undefined && raw !== null)
      found.push(typeof raw === 'string' ? raw : JSON.stringify(raw));
  } else {
    const value = (source as Record<string, string | undefined>)[SALT_VARIABLE];
    if (value !== undefined) found.push(value, value.trim());
  }
  return found.filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH);
}

/** A `user_hash_salt:` line (indented or not, the key quoted or not) and the rest of it. */
const SALT_LINE = /^[ \t]*["']?user_hash_salt["']?[ \t]*:(.*)$/gm;
/** YAML's indicators a value may start with; a parser's message quotes what follows them. */
const LEADING_INDICATORS = /^[\s|>!&*[\]{}"',-]+/;
const TRAILING_PUNCTUATION = /["',\]}]+$/;

/**
 * The salt's text as its line holds it, in a file that does not parse (so its salt is not
 * known): the rest of each `user_hash_salt:` line, that rest without the indicators before the
 * value, and its first word without its closing punctuation (a tag, an alias or an anchor ends
 * there): what the parser's messages quote (`Block scalar header includes extra characters:
 * |…`, `Unresolved alias …`, `Unexpected scalar token in YAML stream: "…"`, a refused tag).
 */
export function saltTextsOf(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(SALT_LINE)) {
    const rest = (match[1] ?? '').trim();
    const value = rest.replace(LEADING_INDICATORS, '');
    const word = (value.split(/\s/)[0] ?? '').replace(TRAILING_PUNCTUATION, '');
    found.push(rest, value, word);
  }
  return found.filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH);
}

/**
 * Replaces every secret in the issues' messages and pointers (defence in depth: messages never
 * show them; a pointer is made of the file's keys, and a key may be the salt's text written by
 * mistake, as a JSON pointer escapes it or not).
 */
export function scrubSecrets(issues: ConfigIssue[], secrets: readonly string[]): ConfigIssue[] {
  if (secrets.length === 0) return issues;
  const forms = new Set<string>();
  for (const secret of secrets)
    forms.add(secret).add(secret.replaceAll('~', '~0').replaceAll('/', '~1'));
  const longestFirst = [...forms].sort((a, b) => b.length - a.length);
  const scrub = (text: string) => {
    let scrubbed = text;
    for (const secret of longestFirst) scrubbed = scrubbed.replaceAll(secret, MASK);
    return scrubbed;
  };
  return issues.map((issue) => {
    const message = scrub(issue.message);
    const pointer = scrub(issue.pointer);
    return message === issue.message && pointer === issue.pointer
      ? issue
      : { ...issue, message, pointer };
  });
}

/** The salt the schema gives when neither the file nor `LIGHTRAG_USER_HASH_SALT` sets one. */
export const DEFAULT_SALT = String(settingSchema('user_hash_salt')?.default);

/**
 * Why an environment must not run on its salt, or undefined when it may: production on the
 * schema's default salt, or on an empty one (`LIGHTRAG_USER_HASH_SALT=` set but empty, or white
 * space only): either is public, so anyone can compute every user's bucket, and a different
 * salt than the Python service's reshuffles users between the two. The salt is never shown.
 */
export function weakSaltWarning(environment: string, salt: string): string | undefined {
  if (environment !== 'production') return undefined;
  let what: string;
  if (salt === DEFAULT_SALT) what = 'the default user_hash_salt';
  else if (salt.trim() === '') what = 'an empty user_hash_salt';
  else return undefined;
  return `environment production runs on ${what}: anyone can compute every user's bucket; set ${SALT_VARIABLE} (the same secret on every instance and in the Python service)`;
}

/** Shows a secret as its length only. */
export function maskSecret(secret: string): string {
  return secret.length === 0 ? '(empty)' : `****** (${secret.length} characters)`;
}
