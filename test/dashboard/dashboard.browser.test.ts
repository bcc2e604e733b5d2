import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../../src/demo/demo.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';
import { testServer } from '../helpers/test-server.js';

const CHROMIUM = '/usr/bin/chromium';
const installed = existsSync(CHROMIUM);
// In CI a missing Chromium is a failure (.ci/run installs it), never a skip.
const runIt = installed || process.env.CI === 'true' ? it : it.skip;
/** Set to a directory (docs/images) to keep screenshots of the main views. */
const SCREENSHOTS = process.env.FLAGROUTE_SCREENSHOTS;
const TOKEN = 'browser-test-admin-token';

/** A temporary copy of the repository's configuration (the demo copies it again). */
async function configCopy(): Promise<string> {
  const { dir } = await tempConfigDir();
  for (const folder of ['environments', 'rules']) {
    cpSync(join(REPO_DIR, folder), join(dir, folder), { recursive: true });
  }
  return dir;
}

async function openDashboard(demo: RunningDemo): Promise<{ page: Page; problems: string[] }> {
  if (!installed) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  onTestEnd(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('requestfailed', (request) => {
    // The event stream is cut when the page closes; anything else failing is a problem.
    if (!request.url().endsWith('/v1/dashboard/stream'))
      problems.push(`request failed: ${request.url()}`);
  });
  await page.goto(demo.dashboardUrl);
  return { page, problems };
}

/** Waits for the page to render a snapshot newer than the one it shows now. */
async function nextSnapshot(page: Page): Promise<void> {
  const before = await page.locator('body').getAttribute('data-snapshot-at');
  // A selector, not a function: the page's content security policy forbids evaluated strings.
  await page.locator(`body:not([data-snapshot-at="${before}"])`).waitFor({ timeout: 5000 });
}

const shownNumber = async (page: Page, selector: string) =>
  Number(await page.locator(selector).getAttribute('data-value'));

describe('the dashboard in a real browser, against the demo', () => {
  runIt(
    'loads clean, follows the plan, shows the numbers of the API, a reload error and a rollback from the page',
    async () => {
      const dir = await configCopy();
      const demo = await startDemo({
        configDir: dir,
        speed: 360,
        queriesPerSecond: 120,
        adminToken: TOKEN,
      });
      onTestEnd(() => demo.stop());
      const { page, problems } = await openDashboard(demo);

      // The page fills in, live, and the plan timeline advances past stage 1.
      await page.waitForSelector(
        '#rollout-percentage[data-value="10"], #plan-stages li[data-stage="2"].current',
        { timeout: 15_000 },
      );
      await page.waitForSelector(
        '#plan-stages li[data-stage="2"].current, #plan-stages li[data-stage="3"].current',
        { timeout: 45_000 },
      );
      expect(await page.locator('#plan-stages li[data-stage="1"]').getAttribute('class')).toBe(
        'done',
      );
      if (SCREENSHOTS) {
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png'), fullPage: true });
      }

      // With the traffic stopped, the numbers on the page are the API's.
      await demo.pauseTraffic();
      await nextSnapshot(page);
      await nextSnapshot(page);
      const summary = (await fetch(`${demo.url}/v1/summary`).then((response) =>
        response.json(),
      )) as {
        performance: Record<string, Record<string, number | null>>;
      };
      const experiment = (await fetch(`${demo.url}/v1/experiment`).then((response) =>
        response.json(),
      )) as {
        metrics: Record<
          string,
          { mean: (number | null)[]; p_value_holm: number | null; chance_to_win: number | null }
        >;
        verdict: string;
      };
      for (const backend of ['lightrag', 'perplexity']) {
        for (const field of [
          'success_count',
          'error_count',
          'median_response_time',
          'p95_response_time',
          'avg_quality_score',
          'avg_cost_usd',
        ]) {
          const shown = await shownNumber(
            page,
            `tr[data-backend="${backend}"] td[data-field="${field}"]`,
          );
          expect(shown, `${backend} ${field}`).toBeCloseTo(
            summary.performance[backend]![field] as number,
            12,
          );
        }
      }
      for (const [metric, values] of Object.entries(experiment.metrics)) {
        const mean = values.mean[0];
        if (mean !== null && mean !== undefined) {
          expect(
            await shownNumber(page, `tr[data-metric="${metric}"] td[data-field="mean-lightrag"]`),
          ).toBeCloseTo(mean, 12);
        }
        if (values.p_value_holm !== null) {
          expect(
            await shownNumber(page, `tr[data-metric="${metric}"] td[data-field="p_value_holm"]`),
          ).toBeCloseTo(values.p_value_holm, 12);
        }
      }
      expect(await page.locator('#verdict').textContent()).toBe(experiment.verdict);
      demo.resumeTraffic();

      // A broken rule file: the reload error appears with its file:line:col.
      const geography = join(dir, 'rules', 'geography.yaml');
      const demoGeography = join(demo.server.router.config.configDir, 'rules', 'geography.yaml');
      const original = await readFile(demoGeography, 'utf8');
      await writeFile(demoGeography, `${original}\n  - region: [unclosed\n`);
      await page.waitForSelector('[data-field="reload-error"]', { timeout: 10_000 });
      expect(await page.locator('[data-field="reload-error"]').first().textContent()).toMatch(
        /rules\/geography\.yaml:\d+:\d+: /,
      );
      await writeFile(demoGeography, original);
      expect(await readFile(geography, 'utf8')).toBe(original); // the given configuration is untouched

      // A rollback from the page, with the token and a reason, shows on the page. How soon is a
      // measurement (the file written, the reload's stability wait, the stream): a loaded machine
      // took more than 2 s, so the test waits for the condition with the deadline of its others.
      await page.fill('#admin-token', TOKEN);
      await page.fill('#admin-reason', 'browser test rollback');
      await page.click('button[data-action="rollback"]');
      await page.waitForSelector('#rollout-percentage[data-value="0"]', { timeout: 10_000 });
      await page.waitForSelector('#kill-switch:not([hidden])', { timeout: 10_000 });
      expect(await page.locator('#kill-switch').textContent()).toMatch(/browser test rollback/);
      const status = (await fetch(`${demo.url}/v1/status`).then((response) => response.json())) as {
        rolloutPercentage: number;
      };
      expect(status.rolloutPercentage).toBe(0);
      if (SCREENSHOTS)
        await page.screenshot({
          path: join(SCREENSHOTS, 'dashboard-rollback.png'),
          fullPage: true,
        });
      expect(problems).toEqual([]);
    },
    90_000,
  );

  runIt(
    'without a token the page offers no actions; with one, a wrong token is refused',
    async () => {
      const temp = await tempConfigDir({
        'environments/development.yaml': 'rollout_percentage: 20\n',
      });
      const plain = await testServer({ configDir: temp.dir, watch: false });
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      onTestEnd(() => browser.close());
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(`${plain.url}/dashboard`);
      await page.waitForSelector('#rollout-percentage[data-value="20"]');
      expect(await page.locator('#admin').isHidden()).toBe(true);
      expect(problems).toEqual([]);

      const dir = await configCopy();
      const demo = await startDemo({
        configDir: dir,
        speed: 360,
        queriesPerSecond: 20,
        adminToken: TOKEN,
      });
      onTestEnd(() => demo.stop());
      const opened = await openDashboard(demo);
      await opened.page.waitForSelector('#admin:not([hidden])');
      await opened.page.fill('#admin-token', 'wrong');
      await opened.page.fill('#admin-reason', 'should not work');
      await opened.page.click('button[data-action="rollout/plan/pause"]');
      await opened.page.waitForSelector('#admin-result.fail');
      expect(await opened.page.locator('#admin-result').textContent()).toMatch(
        /refused \(403\): wrong admin token/,
      );
    },
  );

  runIt('a page refused its event stream (the server is at its limit) polls instead', async () => {
    const temp = await tempConfigDir({
      'environments/development.yaml': 'rollout_percentage: 20\n',
    });
    const full = await testServer({ configDir: temp.dir, watch: false, maxDashboardStreams: 0 });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    onTestEnd(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${full.url}/dashboard`);
    await page.waitForSelector('#rollout-percentage[data-value="20"]');
    await page.locator('#connection', { hasText: 'polling' }).waitFor({ timeout: 10_000 });
  });
});
