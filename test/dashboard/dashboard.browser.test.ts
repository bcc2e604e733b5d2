import { cpSync, mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { REASONS } from '../../src/decision/index.js';
import { type RunningDemo, startDemo } from '../../src/demo/demo.js';
import { browserIt, nextSnapshot, openPage, overflowing, PHONE, WIDE } from '../helpers/browser.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { REPO_DIR, tempConfigDir } from '../helpers/config-dir.js';
import { testServer } from '../helpers/test-server.js';

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

const openDashboard = (demo: RunningDemo) => openPage(demo.dashboardUrl, WIDE);

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
}

/** Every time on the page: its text, and the moment it stands for. */
async function times(page: Page): Promise<{ text: string; iso: string }[]> {
  return page.locator('time').evaluateAll((all) =>
    all.map((each) => ({
      text: each.textContent ?? '',
      iso: each.getAttribute('datetime') ?? '',
    })),
  );
}

const shownNumber = async (page: Page, selector: string) =>
  Number(await page.locator(selector).getAttribute('data-value'));

describe('the dashboard in a real browser, against the demo', () => {
  browserIt(
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
      // The demo's plan starts in the shadow: the page names that stage and what it serves.
      expect(await page.locator('#plan-stages li[data-stage="1"]').textContent()).toMatch(
        /^shadow 100 %no user on LightRAG, hold 30m, 100 pairs$/,
      );

      // One clock: the demo's plan time, marked simulated; every time on the page is HH:MM:SS
      // of that clock, in UTC, the moment it stands for beside it.
      expect(await page.locator('#clock').getAttribute('data-kind')).toBe('simulated');
      expect(await page.locator('#clock').textContent()).toMatch(
        /simulated plan time \(UTC\), 360× real time/,
      );
      const shown = await times(page);
      expect(shown.length).toBeGreaterThan(3);
      for (const { text, iso } of shown)
        expect(text).toBe(new Date(iso).toISOString().slice(11, 19));

      // Each reason its own colour in the reason chart.
      const reasonColours = await page
        .locator('[data-chart="reasons"] .u-legend .u-series .u-marker')
        .evaluateAll((all) =>
          all.map((each) => each.ownerDocument.defaultView?.getComputedStyle(each).borderColor),
        );
      expect(reasonColours.length).toBe(REASONS.length);
      expect(new Set(reasonColours).size).toBe(reasonColours.length);

      // Every guardrail with its value, margin, interval and action; the regressions' interval
      // once both arms have users.
      await page.waitForSelector('#plan-guardrails tr[data-guardrail="regression:success_rate"]');
      await page
        .locator('tr[data-guardrail="regression:quality_score"] td[data-field="interval"]', {
          hasText: /^\[/,
        })
        .waitFor({ timeout: 30_000 });
      for (const row of await page.locator('#plan-guardrails tr').all()) {
        for (const field of ['value', 'margin', 'interval', 'action', 'state']) {
          expect((await row.locator(`td[data-field="${field}"]`).textContent())?.trim()).not.toBe(
            '',
          );
        }
        expect(await row.locator('td[data-field="action"]').textContent()).toMatch(
          /after \d+ failing look/,
        );
      }
      expect(
        await page
          .locator('tr[data-guardrail="regression:quality_score"] td[data-field="margin"]')
          .textContent(),
      ).toMatch(/tolerated/);

      // Repeated transitions are one line with a count: no two neighbours say the same.
      const transitions = await page.locator('#plan-history > li').allTextContents();
      expect(transitions.length).toBeGreaterThan(0);
      for (let index = 1; index < transitions.length; index++) {
        expect(transitions[index]!.replace(/^\S+ /, '')).not.toBe(
          transitions[index - 1]!.replace(/^\S+ /, ''),
        );
      }

      // Readable at a laptop's width and at a phone's: nothing wider than its card.
      expect(await overflowing(page)).toEqual([]);
      await screenshot(page, 'dashboard-1280.png');
      await page.setViewportSize(PHONE);
      await nextSnapshot(page);
      expect(await overflowing(page)).toEqual([]);
      await screenshot(page, 'dashboard-phone.png');
      await page.setViewportSize(WIDE);

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
            await shownNumber(page, `tr[data-metric="${metric}"] td[data-field="mean_lightrag"]`),
          ).toBeCloseTo(mean, 12);
        }
        if (values.p_value_holm !== null) {
          expect(
            await shownNumber(page, `tr[data-metric="${metric}"] td[data-field="p_value_holm"]`),
          ).toBeCloseTo(values.p_value_holm, 12);
        }
      }
      expect(await page.locator('#verdict').textContent()).toBe(experiment.verdict);
      const status = (await fetch(`${demo.url}/v1/status`).then((response) => response.json())) as {
        rolloutPercentage: number;
        regions: Record<string, { rolloutPercentage: number; configured: number }>;
      };
      expect(await shownNumber(page, '#rollout-percentage')).toBe(status.rolloutPercentage);
      for (const [region, share] of Object.entries(status.regions)) {
        const row = `tr[data-region="${region}"]`;
        expect(await shownNumber(page, `${row} td[data-field="rolloutPercentage"]`)).toBe(
          share.rolloutPercentage,
        );
        expect(await shownNumber(page, `${row} td[data-field="configured"]`)).toBe(
          share.configured,
        );
      }
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
      const after = (await fetch(`${demo.url}/v1/status`).then((response) => response.json())) as {
        rolloutPercentage: number;
      };
      expect(after.rolloutPercentage).toBe(0);
      await screenshot(page, 'dashboard-rollback.png');
      expect(problems).toEqual([]);
    },
    90_000,
  );

  browserIt(
    'without a token the page offers no actions; with one, a wrong token is refused',
    async () => {
      const temp = await tempConfigDir({
        'environments/development.yaml': 'rollout_percentage: 20\n',
      });
      const plain = await testServer({ configDir: temp.dir, watch: false });
      const { page, problems } = await openPage(`${plain.url}/dashboard`);
      await page.waitForSelector('#rollout-percentage[data-value="20"]');
      expect(await page.locator('#admin').isHidden()).toBe(true);
      // The wall clock, in UTC; without a fleet store, no fleet.
      expect(await page.locator('#clock').getAttribute('data-kind')).toBe('wall');
      expect(await page.locator('#clock').textContent()).toBe('times: UTC');
      expect(await page.locator('#fleet').isHidden()).toBe(true);
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

  browserIt(
    'a page refused its event stream (the server is at its limit) polls instead',
    async () => {
      const temp = await tempConfigDir({
        'environments/development.yaml': 'rollout_percentage: 20\n',
      });
      const full = await testServer({ configDir: temp.dir, watch: false, maxDashboardStreams: 0 });
      const { page } = await openPage(`${full.url}/dashboard`);
      await page.waitForSelector('#rollout-percentage[data-value="20"]');
      await page.locator('#connection', { hasText: 'polling' }).waitFor({ timeout: 10_000 });
    },
  );
});
