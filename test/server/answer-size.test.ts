import { describe, expect, it } from 'vitest';
import { tempConfigDir } from '../helpers/config-dir.js';
import { INGEST_TOKEN, postOutcomes, testServer } from '../helpers/test-server.js';

interface Refusal {
  errorCode: string;
  errorDetails: string;
  problems: { index: number; field: string; message: string }[];
}

async function outcomesServer() {
  const temp = await tempConfigDir({ 'environments/development.yaml': 'rollout_percentage: 10\n' });
  return testServer({ configDir: temp.dir, watch: false, ingestToken: INGEST_TOKEN });
}

describe('what an answer repeats of a refused batch', () => {
  it('is bounded: a batch of items with cut keys gets the first problems, within 16 KiB, and says how many there were', async () => {
    const server = await outcomesServer();
    // A key one character over the echo's cut: each problem repeats 64 of its characters twice.
    const key = 'k'.repeat(65);
    const items = Array.from({ length: 520 }, () => ({
      success: true,
      backend: 'lightrag',
      [key]: 1,
    }));
    const body = JSON.stringify(items);
    expect(body.length).toBeLessThan(64 * 1024);
    const response = await fetch(`${server.url}/v1/outcomes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` },
      body,
    });
    const text = await response.text();
    expect(response.status).toBe(400);
    // 16 KiB of problems, and the code and details around them.
    expect(text.length).toBeLessThan(16 * 1024 + 1024);
    const refusal = JSON.parse(text) as Refusal;
    const listed = refusal.problems.length;
    expect(listed).toBeGreaterThan(10);
    expect(refusal.problems.map((problem) => problem.index)).toEqual([...Array(listed).keys()]);
    expect(refusal.errorDetails).toBe(
      `520 of 520 outcomes are invalid; none was recorded; the first ${listed} of its 520 problems are listed (an answer lists at most 16 KiB of them)`,
    );
  });

  it('lists every problem of a batch whose problems fit', async () => {
    const server = await outcomesServer();
    const items = [{ success: true, backend: 'lightrag' }, { success: 'yes' }, { latencyMs: -1 }];
    const refused = await postOutcomes(`${server.url}/v1/outcomes`, items);
    const refusal = refused.body as Refusal;
    expect(refusal.errorDetails).toBe('2 of 3 outcomes are invalid; none was recorded');
    expect(refusal.problems.map((problem) => problem.index)).toEqual([1, 2]);
  });
});
