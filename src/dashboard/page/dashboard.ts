// flagroute's dashboard page: one view model at a time from /v1/dashboard/stream (server-sent
// events), falling back to polling /v1/dashboard/snapshot. The server builds the view model
// (view-model.ts); this page paints it and sends the admin actions, nothing more.
import { plotPoint } from './charts.js';
import { byId, historyItems } from './dom.js';
import {
  paintBackends,
  paintExperiment,
  paintFleet,
  paintPlan,
  paintRollout,
  paintSafety,
} from './panels.js';
import type { DashboardView } from './view-model.js';

const POLL_MS = 2000;

function paint(view: DashboardView): void {
  document.body.dataset.snapshotAt = view.at.iso;
  byId('environment').textContent = view.environment;
  byId('clock').textContent = `times: ${view.clock.label}`;
  byId('clock').dataset.kind = view.clock.kind;
  paintRollout(view.rollout);
  paintPlan(view.plan);
  paintSafety(view.safety);
  paintBackends(view);
  paintExperiment(view.experiment);
  paintFleet(view.fleet);
  byId('reload-history').replaceChildren(...historyItems(view.reloads));
  byId('admin').hidden = !view.admin;
  plotPoint(view.time, view.charts);
}

let polling: number | undefined;
function poll(): void {
  if (polling !== undefined) return;
  byId('connection').textContent = `live (polling every ${POLL_MS / 1000} s)`;
  polling = window.setInterval(async () => {
    try {
      const response = await fetch('/v1/dashboard/snapshot');
      if (response.ok) paint((await response.json()) as DashboardView);
    } catch {
      byId('connection').textContent = 'server unreachable; retrying';
    }
  }, POLL_MS);
}

function connect(): void {
  if (!('EventSource' in window)) {
    poll();
    return;
  }
  const source = new EventSource('/v1/dashboard/stream');
  let failures = 0;
  source.addEventListener('snapshot', (event) => {
    failures = 0;
    byId('connection').textContent = 'live';
    paint(JSON.parse((event as MessageEvent<string>).data) as DashboardView);
  });
  source.addEventListener('error', () => {
    failures += 1;
    byId('connection').textContent = 'reconnecting…';
    // CLOSED: the server refused the stream (its limit of streams), and the browser gives up.
    if (failures >= 3 || source.readyState === EventSource.CLOSED) {
      source.close();
      poll();
    }
  });
}

byId<HTMLFormElement>('admin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const action = (event.submitter as HTMLButtonElement | null)?.dataset.action;
  const token = byId<HTMLInputElement>('admin-token').value;
  const reason = byId<HTMLInputElement>('admin-reason').value.trim();
  const result = byId('admin-result');
  if (!action) return;
  try {
    const response = await fetch(`/v1/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ reason }),
    });
    const body = (await response.json().catch(() => ({}))) as { errorDetails?: string };
    result.textContent = response.ok
      ? `${action}: done`
      : `${action} refused (${response.status}): ${body.errorDetails ?? ''}`;
    result.className = response.ok ? 'ok' : 'fail';
  } catch (error) {
    result.textContent = `${action} failed: ${(error as Error).message}`;
    result.className = 'fail';
  }
});

connect();
