import { createWriteStream, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_BYTES, textLines } from '../../src/experiment/line-splitter.js';
import { readEventFiles } from '../../src/experiment/read-events.js';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';
import { EXPERIMENT_FIXTURES } from '../helpers/experiment-fixtures.js';
import { runCli } from '../helpers/run-cli.js';

/** The built reader: its worker threads run from dist/ (the source has no .js worker). */
const built = (await import(
  join(REPO_DIR, 'dist', 'index.js')
)) as typeof import('../../src/index.js');

const LINES = readFileSync(join(EXPERIMENT_FIXTURES, 'clear-winner.jsonl'), 'utf8')
  .trim()
  .split('\n');

/** The fixture's lines, each with a decision id of its own. */
const withIds = (from = 0, count = LINES.length) =>
  LINES.slice(from, from + count).map((line, index) =>
    JSON.stringify({
      ...JSON.parse(line),
      decisionId: `0a1b2c3d4e5f-${(from + index).toString(36)}`,
    }),
  );

/** Writes `bytes` of one line of `a` to a gzip file as a stream: a bomb of ~1,000:1. */
async function gzipBomb(file: string, bytes: number): Promise<void> {
  const chunk = Buffer.alloc(1024 * 1024, 'a');
  async function* source() {
    yield Buffer.from(`${LINES[0]}\n{"time":"`);
    for (let written = 0; written < bytes; written += chunk.length) yield chunk;
    yield Buffer.from('"}\n');
  }
  await pipeline(source(), createGzip({ level: 9 }), createWriteStream(file));
}

describe('experiment report on hostile files', () => {
  it('a 1 GiB single-line gzip bomb fails at its line, having inflated no more than the limit', async () => {
    const { dir } = await tempConfigDir();
    const bomb = join(dir, 'bomb.jsonl.gz');
    await gzipBomb(bomb, 1024 * 1024 * 1024);
    let compressedRead = 0;
    await expect(
      readEventFiles([bomb], { onProgress: (bytes) => (compressedRead += bytes) }),
    ).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringMatching(/bomb\.jsonl\.gz:2: the line is longer than 1 MiB/),
    });
    // One read of the compressed file (64 KiB) holds some 64 MiB of the line: reading stopped
    // within the first reads (the stream reads one ahead), so neither memory nor time grew with
    // the 1 GiB, of which the compressed file holds about a megabyte.
    expect(statSync(bomb).size).toBeGreaterThan(900 * 1024);
    expect(compressedRead).toBeLessThanOrEqual(4 * 64 * 1024);

    const result = await runCli(['experiment', 'report', '--events', 'bomb.jsonl.gz'], {
      cwd: dir,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: bomb\.jsonl\.gz:2: the line is longer than 1 MiB, the limit of an event line/,
    );
  });

  it('a line past the limit in a plain file: file:line, whether read by one thread or several', async () => {
    const { dir } = await tempConfigDir();
    const file = join(dir, 'events.jsonl');
    const lines = withIds();
    lines.splice(1500, 0, `{"time":"${'x'.repeat(MAX_LINE_BYTES)}"}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    // One thread, three with a part each, three claiming chunks of 64 KiB.
    const ways = [
      { threads: 1 },
      { threads: 3, parallelMinBytes: 0 },
      { threads: 3, parallelMinBytes: 0, chunkBytes: 64 * 1024 },
    ];
    for (const options of ways) {
      await expect(built.readEventFiles([file], options)).rejects.toMatchObject({
        message: expect.stringMatching(/events\.jsonl:1501: the line is longer than 1 MiB/),
      });
    }
    const result = await runCli(['experiment', 'report', '--events', 'events.jsonl'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: events\.jsonl:1501: the line is longer than 1 MiB/);
    // A line of exactly the limit is a line (here a malformed one), not an error.
    writeFileSync(file, `${LINES[0]}\n${'y'.repeat(MAX_LINE_BYTES)}\n${LINES[1]}\n`);
    const atLimit = await readEventFiles([file]);
    expect(atLimit).toMatchObject({ lines: 3, malformed: 1 });
  });

  it('a directory, a missing file, damaged and truncated gzip: errors naming the file as given, never resolved', async () => {
    const { dir } = await tempConfigDir();
    mkdirSync(join(dir, 'events'));
    writeFileSync(join(dir, 'not-gzip.jsonl.gz'), LINES.slice(0, 3).join('\n'));
    const whole = gzipSync(`${LINES.join('\n')}\n`);
    writeFileSync(join(dir, 'cut.jsonl.gz'), whole.subarray(0, Math.floor(whole.length / 2)));
    const cases: [string, RegExp][] = [
      [
        'events',
        /^error: cannot read events: it is a directory; name the event files in it \(for example events\/\*\.jsonl\)$/m,
      ],
      ['events/', /^error: cannot read events\/: it is a directory/m],
      ['missing.jsonl', /^error: cannot read missing\.jsonl: no such file$/m],
      [
        'not-gzip.jsonl.gz',
        /^error: not-gzip\.jsonl\.gz: not valid gzip data \(incorrect header check\), at its start$/m,
      ],
      [
        'cut.jsonl.gz',
        /^error: cut\.jsonl\.gz: the gzip data ends early \(a truncated file\?\), after line \d+$/m,
      ],
    ];
    for (const [file, message] of cases) {
      const result = await runCli(['experiment', 'report', '--events', file], { cwd: dir });
      expect(result.code, file).toBe(1);
      expect(result.stderr, file).toMatch(message);
      expect(result.stderr, file).not.toContain(dir);
      expect(result.stdout, file).toBe('');
    }
  });

  it('reports outcomes that repeat a decision id (a file given twice), one thread or several alike', async () => {
    const { dir } = await tempConfigDir();
    const lines = withIds();
    writeFileSync(join(dir, 'a.jsonl'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'b.jsonl.gz'), gzipSync(`${lines.slice(0, 3).join('\n')}\n`));
    const one = await built.readEventFiles([join(dir, 'a.jsonl'), join(dir, 'b.jsonl.gz')], {
      threads: 1,
    });
    const three = await built.readEventFiles([join(dir, 'a.jsonl'), join(dir, 'b.jsonl.gz')], {
      threads: 3,
      parallelMinBytes: 0,
    });
    expect(one.duplicateDecisionIds).toBe(3);
    expect(three.duplicateDecisionIds).toBe(3);
    expect(three.duplicateExamples).toEqual(one.duplicateExamples);
    // Within one file read by several threads: a repeat across parts keeps its line number.
    const repeated = [...lines, lines[10]!, lines[LINES.length - 5]!];
    writeFileSync(join(dir, 'c.jsonl'), `${repeated.join('\n')}\n`);
    const parts = await built.readEventFiles([join(dir, 'c.jsonl')], {
      threads: 3,
      parallelMinBytes: 0,
    });
    expect(parts.duplicateExamples).toEqual([
      { file: join(dir, 'c.jsonl'), line: LINES.length + 1 },
      { file: join(dir, 'c.jsonl'), line: LINES.length + 2 },
    ]);

    const result = await runCli(
      ['experiment', 'report', '--events', 'a.jsonl', 'b.jsonl.gz', '--json'],
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      'b.jsonl.gz:1: decision id already seen on an earlier line (counted again)',
      'b.jsonl.gz:2: decision id already seen on an earlier line (counted again)',
      'b.jsonl.gz:3: decision id already seen on an earlier line (counted again)',
    ]);
    const report = JSON.parse(result.stdout);
    expect(report.events.duplicate_decision_ids).toBe(3);
    expect(report.notes.join('\n')).toMatch(/3 outcomes repeat the decision id of an earlier line/);
  });
});

describe('LineSplitter', () => {
  it('splits across chunks, keeps a last line without a break, and stops past the limit', () => {
    const seen: string[] = [];
    const splitter = new LineSplitter(
      textLines((line, number) => seen.push(`${number}:${line}`)),
      8,
    );
    expect(splitter.push(Buffer.from('ab\ncd'))).toBe(true);
    expect(splitter.push(Buffer.from('é\n\nxyz'))).toBe(true);
    splitter.end();
    expect(seen).toEqual(['1:ab', '2:cdé', '3:', '4:xyz']);
    const limited = new LineSplitter(() => undefined, 8);
    expect(limited.push(Buffer.from('12345678\n1234'))).toBe(true);
    expect(limited.push(Buffer.from('5678'))).toBe(true);
    expect(limited.push(Buffer.from('9'))).toBe(false);
    expect(limited.count).toBe(1);
    const inOne = new LineSplitter(() => undefined, 8);
    expect(inOne.push(Buffer.from('123456789\n'))).toBe(false);
    expect(inOne.count).toBe(0);
  });
});
