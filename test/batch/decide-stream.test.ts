import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decideStream } from '../../src/batch/decide-stream.js';
import { routerIn } from '../helpers/test-router.js';

describe('decideStream', () => {
  it('writes one decision or error per context line, numbered, and counts failures', async () => {
    const { router } = await routerIn({
      'environments/development.yaml': 'rollout_percentage: 100\n',
    });
    const input = Readable.from([
      '{"userId":"a"}\n',
      '\n',
      '{bad\n',
      '{"userId":1}\n',
      '{"userId":"b"}',
    ]);
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const report = await decideStream(router, input, output);
    expect(report).toEqual({ contexts: 4, failures: 2 });
    const lines = chunks
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.line, line.backend ?? line.error.slice(0, 14)])).toEqual([
      [1, 'lightrag'],
      [3, 'malformed JSON'],
      [4, 'invalid routin'],
      [5, 'lightrag'],
    ]);
  });
});
