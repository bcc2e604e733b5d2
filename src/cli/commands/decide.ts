import { constants, createReadStream, type Stats } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { decideStream } from '../../batch/index.js';
import type { Decision, ExplainStep, RoutingContext } from '../../decision/index.js';
import { fileErrorReason } from '../../file-errors.js';
import type { Router } from '../../router/index.js';
import {
  type EnvironmentOptions,
  EXIT,
  routerFor,
  UsageError,
  withEnvironmentOptions,
} from '../shared.js';

interface ContextOptions extends EnvironmentOptions {
  user?: string;
  session?: string;
  query?: string;
  queryType?: string;
  region?: string;
  complexity?: string;
  request?: string;
  json?: boolean;
  input?: string;
  attr?: Record<string, unknown>;
}

const DECIMAL = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** Collects `--attr key=value` into attributes: decimal numbers and true/false typed, else text. */
function collectAttribute(
  pair: string,
  previous: Record<string, unknown> = {},
): Record<string, unknown> {
  const separator = pair.indexOf('=');
  if (separator <= 0) {
    throw new UsageError(`--attr takes key=value, got ${JSON.stringify(pair)}`);
  }
  const key = pair.slice(0, separator);
  const raw = pair.slice(separator + 1);
  const value =
    raw === 'true' ? true : raw === 'false' ? false : DECIMAL.test(raw) ? Number(raw) : raw;
  return { ...previous, [key]: value };
}

function withContextOptions(command: Command): Command {
  return withEnvironmentOptions(command)
    .option('--user <id>', 'user id (the bucket is hashed from it)')
    .option('--session <id>', 'session id (used when there is no user id)')
    .option('--query <text>', 'query text')
    .option('--query-type <type>', 'query type, for query_type rules')
    .option('--region <region>', 'region, for geographic routing')
    .option('--complexity <n>', 'query complexity score')
    .option('--request <id>', "the request's id (the shadow's draw hashes it; a retry keeps it)")
    .option(
      '--attr <key=value>',
      'a fact for json-rules-engine rules (repeatable; decimal numbers and true/false are typed)',
      collectAttribute,
    )
    .option('--json', 'print JSON');
}

function contextFrom(options: ContextOptions): RoutingContext {
  if (options.user === undefined && options.session === undefined) {
    throw new UsageError('give --user or --session (or --input FILE for many contexts)');
  }
  let queryComplexity: number | undefined;
  if (options.complexity !== undefined) {
    queryComplexity = Number(options.complexity);
    if (!Number.isFinite(queryComplexity) || queryComplexity < 0) {
      throw new UsageError(
        `--complexity must be a number of at least 0, got ${JSON.stringify(options.complexity)}`,
      );
    }
  }
  return {
    userId: options.user,
    sessionId: options.session,
    queryText: options.query,
    queryType: options.queryType,
    region: options.region,
    queryComplexity,
    requestId: options.request,
    attributes: options.attr,
  };
}

/** Warns on stderr when the context's region has no geography rule (it is still served). */
function warnUnknownRegion(router: Router, decision: Decision, region: string | undefined): void {
  if (region === undefined || decision.regionMatched !== false) return;
  const known = router.config.geographicRouting.map((entry) => entry.region);
  process.stderr.write(
    `warning: region ${JSON.stringify(region)} has no geography rule, so the environment's ${decision.rolloutPercentage} % applies; known regions: ${known.length > 0 ? known.join(', ') : '(none)'}\n`,
  );
}

/** One decision as a product owner reads it. */
export function describeDecision(decision: Decision): string {
  const bucket =
    decision.bucket === null
      ? ''
      : `, bucket ${decision.bucket.toFixed(4)} vs ${decision.rolloutPercentage} %`;
  const shadow = decision.shadow === undefined ? '' : `, shadow ${decision.shadow}`;
  return `${decision.backend} (reason ${decision.reason}, cohort ${decision.cohort ?? 'none'}${bucket}${shadow}, config ${decision.configVersion})`;
}

/** An explanation as a product owner reads it: one line a step, then the decision. */
function describeExplanation(decision: Decision, steps: readonly ExplainStep[]): string {
  const lines = [`environment ${decision.environment} (config ${decision.configVersion})`];
  for (const step of steps) {
    lines.push(`  ${step.outcome === 'taken' ? '->' : 'ok'} ${step.step}: ${step.detail}`);
  }
  lines.push(`decision: ${describeDecision(decision)}`);
  return lines.join('\n');
}

/** `flagroute decide` and `flagroute explain`. */
export function decideCommands(program: Command): void {
  decideCommand(program);
  explainCommand(program);
}

function decideCommand(program: Command): void {
  withContextOptions(
    program.command('decide').description('decide one query, or one per JSON line with --input'),
  )
    .option(
      '--input <file>',
      'read one JSON context per line from FILE (- for stdin); print one decision per line',
    )
    .action(async (options: ContextOptions) => {
      if (options.input !== undefined) {
        const router = await routerFor(options);
        process.exitCode = await decideLines(router, options.input);
        await router.close();
        return;
      }
      const context = contextFrom(options);
      const router = await routerFor(options);
      const decision = await router.decide(context);
      warnUnknownRegion(router, decision, context.region);
      process.stdout.write(
        options.json ? `${JSON.stringify(decision)}\n` : `${describeDecision(decision)}\n`,
      );
      await router.close();
    });
}

function explainCommand(program: Command): void {
  withContextOptions(
    program.command('explain').description('show the decision tree step by step for one query'),
  ).action(async (options: ContextOptions) => {
    const context = contextFrom(options);
    const router = await routerFor(options);
    const { decision, steps } = await router.explain(context);
    warnUnknownRegion(router, decision, context.region);
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ decision, steps }, null, 2)}\n`
        : `${describeExplanation(decision, steps)}\n`,
    );
    await router.close();
  });
}

async function decideLines(router: Router, input: string): Promise<number> {
  if (input !== '-') {
    let file: Stats;
    try {
      await access(input, constants.R_OK);
      file = await stat(input);
    } catch (error) {
      throw new UsageError(`cannot read --input ${input}: ${fileErrorReason(error)}`);
    }
    if (file.isDirectory()) {
      throw new UsageError(
        `cannot read --input ${input}: it is a directory; name a file of JSON lines, or - for stdin`,
      );
    }
  }
  const stream = input === '-' ? process.stdin : createReadStream(input);
  const report = await decideStream(router, stream, process.stdout);
  return report.failures === 0 ? EXIT.ok : EXIT.failure;
}
