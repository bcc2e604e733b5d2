import { existsSync } from 'node:fs';
import { chromium, type Page } from 'playwright-core';
import { it } from 'vitest';
import { onTestEnd } from './cleanup.js';

/** Debian's Chromium, which `.ci/run` installs. */
export const CHROMIUM = '/usr/bin/chromium';
const installed = existsSync(CHROMIUM);
/** `it`, skipped where Chromium is missing; in CI a missing Chromium fails, never skips. */
export function browserIt(name: string, body: () => Promise<void>, timeout?: number): void {
  it.skipIf(!installed && process.env.CI !== 'true')(name, body, timeout);
}

/** The widths the dashboard must read well at: a laptop's and a phone's. */
export const WIDE = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/**
 * A page of a new Chromium (closed when the test ends) at `url`, with every console error or
 * warning, page error and failed request collected in `problems`.
 */
export async function openPage(
  url: string,
  viewport: { width: number; height: number } = WIDE,
): Promise<{ page: Page; problems: string[] }> {
  if (!installed) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  onTestEnd(() => browser.close());
  const page = await browser.newPage({ viewport });
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
  await page.goto(url);
  return { page, problems };
}

/** Waits for the page to paint a snapshot newer than the one it shows now. */
export async function nextSnapshot(page: Page): Promise<void> {
  const before = await page.locator('body').getAttribute('data-snapshot-at');
  // A selector, not a function: the page's content security policy forbids evaluated strings.
  await page.locator(`body:not([data-snapshot-at="${before}"])`).waitFor({ timeout: 10_000 });
}

/**
 * What sticks out at the page's width: the page itself scrolling sideways, or a table wider
 * than its card. Empty when everything fits.
 */
export async function overflowing(page: Page): Promise<string[]> {
  const wide = await page.locator('html').evaluate((root) => {
    const width = root.ownerDocument.defaultView?.innerWidth ?? 0;
    return root.scrollWidth > width ? [`the page is ${root.scrollWidth} px wide in ${width}`] : [];
  });
  const tables = await page.locator('table').evaluateAll((all) =>
    all
      .filter((table) => (table as unknown as { offsetParent: unknown }).offsetParent !== null)
      .filter((table) => table.scrollWidth > (table.parentElement?.clientWidth ?? 0) + 1)
      .map(
        (table) =>
          `table "${table.getAttribute('aria-label')}" is ${table.scrollWidth} px wide in ${table.parentElement?.clientWidth}`,
      ),
  );
  return [...wide, ...tables];
}
