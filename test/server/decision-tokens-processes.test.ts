import { describe, expect, it } from 'vitest';
import { parseDecisionKeys, signDecisionToken } from '../../src/decision-tokens/index.js';
import { type CliProcess, startCli, waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { INGEST_TOKEN, post, postOutcomes } from '../helpers/test-server.js';

const BODY = `rollout_percentage: 100
enable_ab_testing: true
user_hash_salt: decision-tokens-processes-salt
rollback_triggers: {enabled: false}
enable_circuit_breaker: false
enable_quality_metrics: false
`;
const OLD_SECRET = 'old-secret-of-the-decision-token-process-test-000000';
const NEW_SECRET = 'new-secret-of-the-decision-token-process-test-111111';

async function serve(dir: string, keys: string): Promise<{ process: CliProcess; url: string }> {
  const process = startCli(['serve', '--config-dir', dir, '--port', '0'], {
    env: { FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN, FLAGROUTE_DECISION_KEY: keys },
  });
  const url = await waitFor(
    'the server to listen',
    () => /listening on (\S+)/.exec(process.output())?.[1],
  );
  return { process, url };
}

const outcomes = (url: string) => `${url}/v1/outcomes`;

describe('signed decision tokens between real flagroute serve processes', () => {
  it("an outcome posted to one instance for another's decision counts once; forged, expired and unknown-key tokens are refused with a reason, never a 500 nor the key", async () => {
    const temp = await tempConfigDir({ 'environments/development.yaml': BODY });
    // Instance 1 signs with the old key; instance 2 is mid-rotation: it signs with the new
    // key and still accepts the old one.
    const [one, two] = await Promise.all([
      serve(temp.dir, `old:${OLD_SECRET}`),
      serve(temp.dir, `new:${NEW_SECRET},old:${OLD_SECRET}`),
    ]);

    // OFREP: the flag metadata carries the token beside the id.
    const flag = await post(`${one.url}/ofrep/v1/evaluate/flags/backend`, {
      context: { targetingKey: 'alice' },
    });
    expect(flag.status).toBe(200);
    const metadata = (flag.body as { metadata: Record<string, unknown> }).metadata;
    expect(metadata.decisionToken).toMatch(/^fr1\.old\./);
    expect(metadata.decisionId).toEqual(expect.any(String));
    const token = String(metadata.decisionToken);

    const first = await postOutcomes(outcomes(two.url), {
      decisionToken: token,
      success: true,
      latencyMs: 800,
      quality: 0.9,
    });
    expect(first).toMatchObject({ status: 200, body: { recorded: 1, duplicates: 0 } });
    const replay = await postOutcomes(outcomes(two.url), { decisionToken: token, success: false });
    expect(replay).toMatchObject({ status: 200, body: { recorded: 0, duplicates: 1 } });
    const summary = (await fetch(`${two.url}/v1/summary`).then((response) => response.json())) as {
      cohorts: { lightrag: { success_count: number; error_count: number } };
    };
    expect(summary.cohorts.lightrag.success_count + summary.cohorts.lightrag.error_count).toBe(1);

    // /v1/decide on instance 2 signs with the new key; instance 1 does not hold it yet.
    const decided = await post(`${two.url}/v1/decide`, { userId: 'bob' });
    const fresh = String((decided.body as { decisionToken: string }).decisionToken);
    expect(fresh).toMatch(/^fr1\.new\./);
    const unknown = await postOutcomes(outcomes(one.url), { decisionToken: fresh, success: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({
      errorCode: 'INVALID_OUTCOME',
      problems: [{ index: 0, field: 'decisionToken', reason: 'unknown_key' }],
    });

    // Forged: claims changed under the old signature; expired: signed with the key, past expiry.
    const [format, keyId, body, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString());
    const swapped = claims.backend === 'lightrag' ? 'perplexity' : 'lightrag';
    const altered = Buffer.from(JSON.stringify({ ...claims, backend: swapped })).toString(
      'base64url',
    );
    const forged = [format, keyId, altered, signature].join('.');
    const expired = signDecisionToken(
      { ...claims, id: `${claims.id}x`, iat: Date.now() - 7_200_000, exp: Date.now() - 3_600_000 },
      parseDecisionKeys(`old:${OLD_SECRET}`),
    );
    const refused = await postOutcomes(outcomes(two.url), [
      { decisionToken: forged, success: true },
      { decisionToken: expired, success: true },
      { decisionToken: 'not-a-token', success: true },
    ]);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      errorCode: 'INVALID_OUTCOME',
      problems: [
        { index: 0, field: 'decisionToken', reason: 'bad_signature' },
        { index: 1, field: 'decisionToken', reason: 'expired' },
        { index: 2, field: 'decisionToken', reason: 'malformed' },
      ],
    });
    for (const answer of [first, replay, unknown, refused, flag, decided]) {
      const text = JSON.stringify(answer.body);
      expect(text).not.toContain(OLD_SECRET);
      expect(text).not.toContain(NEW_SECRET);
      expect(text).not.toContain(forged);
    }
    expect(await Promise.all([one.process.stop(), two.process.stop()])).toEqual([0, 0]);
    for (const { process } of [one, two]) {
      expect(process.output()).not.toContain(OLD_SECRET);
      expect(process.output()).not.toContain(NEW_SECRET);
    }
  });

  it('serve refuses a malformed FLAGROUTE_DECISION_KEY at start, naming the entry and not the secret', async () => {
    const temp = await tempConfigDir({ 'environments/development.yaml': BODY });
    const process = startCli(['serve', '--config-dir', temp.dir, '--port', '0'], {
      env: { FLAGROUTE_INGEST_TOKEN: INGEST_TOKEN, FLAGROUTE_DECISION_KEY: 'k1:too-short-secret' },
    });
    expect(await process.exited).not.toBe(0);
    expect(process.output()).toMatch(
      /FLAGROUTE_DECISION_KEY entry 1 \(key id k1\) has a secret of 16 bytes/,
    );
    expect(process.output()).not.toContain('too-short-secret');
  });
});
