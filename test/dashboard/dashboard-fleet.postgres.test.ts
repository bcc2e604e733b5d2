import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { FleetStatus } from '../../src/runtime-store/index.js';
import { browserIt, openPage } from '../helpers/browser.js';
import { REPO_DIR } from '../helpers/config-dir.js';
import { cli, ENVIRONMENT, serveInstance, until } from '../helpers/fleet.js';
import { describePostgres, usePostgres } from '../helpers/postgres.js';

/** Set to a directory (docs/images) to keep a screenshot of the fleet. */
const SCREENSHOTS = process.env.FLAGROUTE_SCREENSHOTS;

describePostgres('the dashboard of a fleet, in a real browser', () => {
  const postgres = usePostgres();

  browserIt(
    'lists every live instance with its versions as `fleet status` does, highlights the skewed one, and shows who applied the kill switch',
    async () => {
      const store = await postgres().createDatabase();
      const file = await readFile(join(REPO_DIR, 'environments', `${ENVIRONMENT}.yaml`), 'utf8');
      // One instance serves another configuration: the skew the page must point at.
      const odd = file.replace('min_quality_threshold: 0.7', 'min_quality_threshold: 0.65');
      expect(odd).not.toBe(file);
      const instances = await Promise.all([
        serveInstance(store),
        serveInstance(store),
        serveInstance(store, { files: { [`environments/${ENVIRONMENT}.yaml`]: odd } }),
      ]);
      const { page, problems } = await openPage(`${instances[0]!.url}/dashboard`);
      await page.waitForSelector('#fleet:not([hidden])');

      const fleetStatus = async () => {
        const run = await cli(['fleet', 'status', '--json'], store, { config: false });
        expect(run.code, run.output).toBe(0);
        return JSON.parse(run.output) as FleetStatus;
      };
      const rows = page.locator('#fleet-instances tr[data-instance]');
      const shown = async () =>
        Promise.all(
          (await rows.all()).map(async (row) => ({
            id: await row.getAttribute('data-instance'),
            state: await row.locator('td[data-field="state"]').textContent(),
            config: await row.locator('td[data-field="configVersion"]').textContent(),
            runtime: await row.locator('td[data-field="runtimeVersion"]').textContent(),
            configSkew: await row.locator('td[data-field="configVersion"].skew').count(),
            killSwitch: await row.locator('td[data-field="killSwitchApplied"]').textContent(),
          })),
        );
      // Every live instance with the versions the CLI lists for it.
      const before = await until(
        async () => {
          const status = await fleetStatus();
          const live = status.instances.filter((each) => each.state === 'live');
          const seen = await shown();
          const agrees =
            live.length === 3 &&
            live.every((each) =>
              seen.some(
                (row) =>
                  row.id === each.id &&
                  row.state === 'live' &&
                  row.config === each.configVersion &&
                  row.runtime === (each.runtimeVersion ?? 'none'),
              ),
            );
          return agrees ? { status, page: seen } : undefined;
        },
        () => 'the page to list the three live instances as fleet status does',
      );
      // The odd one's configuration is highlighted, the others' not.
      const versions = before.page.map((row) => row.config);
      const oddVersion = versions.find(
        (version) => versions.filter((v) => v === version).length === 1,
      );
      expect(oddVersion).toBeDefined();
      for (const row of before.page) expect(row.configSkew).toBe(row.config === oddVersion ? 1 : 0);
      expect(await page.locator('#fleet-skew li').first().textContent()).toMatch(
        /2 configuration versions among live instances/,
      );
      expect(await page.locator('#fleet-kill-switch').textContent()).toBe('no kill switch engaged');

      // A kill switch from the CLI: the page says every live instance applied it.
      const rollback = await cli(['rollback', '--reason', 'pager: error budget'], store);
      expect(rollback.code, rollback.output).toBe(0);
      await page
        .locator('#fleet-kill-switch', {
          hasText: /^kill switch \(pager: error budget\) applied by 3 of 3 live instances/,
        })
        .waitFor({ timeout: 60_000 });
      const after = await fleetStatus();
      for (const row of await shown()) {
        expect(row.killSwitch).toBe('applied');
        expect(row.runtime).toBe(after.runtimeVersion);
      }
      await page.waitForSelector('#kill-switch:not([hidden])');
      if (SCREENSHOTS) {
        await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-fleet.png'), fullPage: true });
      }
      expect(problems).toEqual([]);
    },
    240_000,
  );
});
