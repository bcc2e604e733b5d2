import type { Clock } from '../clock.js';
import type { MetricFormat } from '../metrics/index.js';
import type { ClockView, Figure, HistoryLine, Moment } from './page/view-model.js';

/** A moment on the page's one clock: UTC, `HH:MM:SS` (the ISO form keeps the date). */
export function momentOf(at: number | string): Moment {
  const date = new Date(at);
  const iso = date.toISOString();
  return { iso, text: iso.slice(11, 19) };
}

/**
 * The page's one clock: the server's (the router's, the controller's and the dashboard's). The
 * demo passes an accelerated plan clock, which says its speed: its times are marked simulated.
 */
export function clockView(clock: Clock): ClockView {
  return clock.speed !== undefined && clock.speed !== 1
    ? { kind: 'simulated', label: `simulated plan time (UTC), ${clock.speed}× real time` }
    : { kind: 'wall', label: 'UTC' };
}

/** A value shown with a metric table format; `–` when there is none. */
export function formatWith(format: MetricFormat, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const scaled = format.scale === 1 ? value : value * format.scale;
  return `${format.prefix}${scaled.toFixed(format.decimals)}${format.suffix}`;
}

/** A figure: the `/v1` field it equals, its value and its text. */
export function figure(field: string, value: number | null | undefined, text?: string): Figure {
  const known = value === undefined || value === null || !Number.isFinite(value) ? null : value;
  return { field, value: known, text: text ?? (known === null ? '–' : String(known)) };
}

/** A count with thousands separated by thin spaces, as the page shows counts. */
export function countText(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
}

/** A signed share in percent: `+3.1 %`. */
export function signedPercent(share: number): string {
  return `${share >= 0 ? '+' : ''}${(share * 100).toFixed(1)} %`;
}

/** One entry of a history before folding: newest first. */
export interface HistoryEntry {
  at: number | string;
  text: string;
  errors?: readonly string[];
}

/**
 * A history, newest first, with runs of the same line folded into one with their count (a paused
 * plan that says the same thing at every look shows it once, `×8`).
 */
export function foldHistory(entries: readonly HistoryEntry[], limit: number): HistoryLine[] {
  const lines: HistoryLine[] = [];
  for (const entry of entries) {
    const last = lines.at(-1);
    const errors = [...(entry.errors ?? [])];
    if (last && last.text === entry.text && last.errors.join('\n') === errors.join('\n')) {
      last.count += 1;
      last.since = momentOf(entry.at);
      continue;
    }
    if (lines.length === limit) break;
    lines.push({ at: momentOf(entry.at), since: null, count: 1, text: entry.text, errors });
  }
  return lines;
}
