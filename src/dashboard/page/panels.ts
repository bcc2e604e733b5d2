// Painting each panel of the view model; no number is computed or formatted here.
import { byId, el, figureCell, fill, historyItems, textCell, time } from './dom.js';
import type {
  BackendRow,
  DashboardView,
  ExperimentPanel,
  FleetPanel,
  IntervalBar,
  PlanPanel,
  RolloutPanel,
  SafetyPanel,
} from './view-model.js';

/** The rollout card: the percentage, its origin, the kill switch banner, the regions. */
export function paintRollout(rollout: RolloutPanel): void {
  const percentage = byId('rollout-percentage');
  percentage.textContent = rollout.percentage.text;
  percentage.dataset.value = String(rollout.percentage.value);
  byId('rollout-origin').textContent = rollout.origin;
  byId('config-version').textContent = rollout.configVersion;
  const banner = byId('kill-switch');
  banner.hidden = rollout.killSwitch === null;
  banner.textContent = rollout.killSwitch ?? '';
  fill(
    'regions',
    rollout.regions.map((row) =>
      el(
        'tr',
        { 'data-region': row.region },
        el('th', { scope: 'row' }, row.region),
        figureCell(row.effective, 'effective'),
        figureCell(row.configured, 'configured'),
        textCell(row.why, 'why', { 'data-why': '' }),
        textCell(row.origin, 'set in'),
      ),
    ),
  );
  const last = byId('last-reload');
  last.className = rollout.lastReload.ok ? 'ok' : 'fail';
  last.replaceChildren(`${rollout.lastReload.text} at `, time(rollout.lastReload.at));
}

/** The plan card: phase, stages, hold, progress, guardrails and transitions; hidden without a plan. */
export function paintPlan(plan: PlanPanel | null): void {
  const phase = byId('plan-phase');
  byId('plan-body').hidden = plan === null;
  if (!plan) {
    phase.textContent = 'no plan';
    return;
  }
  phase.textContent = plan.phase;
  phase.className = `pill ${plan.phase}`;
  phase.dataset.value = plan.phase;
  byId('plan-reason').textContent = plan.reason;
  fill(
    'plan-stages',
    plan.stages.map((stage) =>
      el(
        'li',
        {
          class: stage.state,
          'data-stage': stage.number,
          'aria-current': stage.state === 'current' && 'step',
        },
        el('strong', {}, stage.percentage),
        el('br'),
        stage.detail,
      ),
    ),
  );
  byId('plan-hold').textContent = plan.holdLeft;
  fill(
    'plan-progress',
    plan.progress.flatMap((bar) => [
      el('div', {}, bar.text),
      el(
        'div',
        {
          class: 'progress',
          role: 'progressbar',
          'aria-label': `${bar.arm} sample progress`,
          'aria-valuemin': 0,
          'aria-valuemax': 100,
          'aria-valuenow': bar.percent,
        },
        el('span', { style: `width:${bar.percent}%` }),
      ),
    ]),
  );
  byId('plan-guardrails-note').textContent = plan.guardrailsNote;
  fill(
    'plan-guardrails',
    plan.guardrails.map((row) =>
      el(
        'tr',
        { 'data-guardrail': row.name },
        el('th', { scope: 'row' }, row.label),
        figureCell(row.value, 'value'),
        textCell(row.threshold, 'threshold'),
        textCell(row.margin, 'margin', { 'data-field': 'margin' }),
        textCell(row.interval, 'interval', { 'data-field': 'interval' }),
        textCell(row.action, 'action', { 'data-field': 'action' }),
        el(
          'td',
          { class: row.state, 'data-label': 'state', 'data-field': 'state' },
          row.stateText,
          row.note ? el('div', { class: 'muted' }, row.note) : '',
        ),
      ),
    ),
  );
  fill('plan-history', historyItems(plan.transitions));
}

/** The breaker and the quality gate, and their transitions. */
export function paintSafety(safety: SafetyPanel): void {
  const breaker = byId('breaker-state');
  breaker.textContent = safety.breaker.text;
  breaker.dataset.value = safety.breaker.state;
  const gate = byId('gate-state');
  gate.textContent = safety.gate.text;
  gate.dataset.value = safety.gate.state;
  fill('safety-history', historyItems(safety.history));
}

/** The outcomes per backend, one column per figure and per metric of the table. */
export function paintBackends(view: DashboardView): void {
  const head = [
    'successes',
    'errors',
    'p50',
    'p95',
    'p99',
    ...view.metrics.map((metric) => metric.label),
  ];
  fill('backends-head', [
    el(
      'tr',
      {},
      el('th', { scope: 'col' }, 'backend'),
      ...head.map((name) => el('th', { scope: 'col' }, name)),
    ),
  ]);
  fill(
    'backends',
    view.backends.map((row: BackendRow) =>
      el(
        'tr',
        { 'data-backend': row.backend },
        el('th', { scope: 'row' }, row.label),
        ...[row.successes, row.errors, row.p50, row.p95, row.p99, ...row.averages].map(
          (figure, index) => figureCell(figure, head[index]!),
        ),
      ),
    ),
  );
}

const SVG = 'http://www.w3.org/2000/svg';

function intervalSvg(bar: IntervalBar | null): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 180 20');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', bar ? bar.description : 'not computable');
  if (!bar) return svg;
  const span = Math.max(Math.abs(bar.low), Math.abs(bar.high), 0.01) * 1.15;
  const x = (value: number) => 90 + (value / span) * 85;
  const line = (attributes: Record<string, string | number>) => {
    const node = document.createElementNS(SVG, 'line');
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
    svg.append(node);
  };
  line({ x1: 90, y1: 0, x2: 90, y2: 20, class: 'zero' });
  line({ x1: x(bar.low), y1: 10, x2: x(bar.high), y2: 10, class: `bar ${bar.verdict}` });
  return svg;
}

/** The experiment: the sample-ratio banner, the verdict, a row per metric with its lift bar. */
export function paintExperiment(experiment: ExperimentPanel): void {
  const srm = byId('srm-banner');
  srm.hidden = experiment.srm === null;
  srm.textContent = experiment.srm ?? '';
  const verdict = byId('verdict');
  verdict.textContent = experiment.verdict;
  verdict.dataset.winner = experiment.winner ?? '';
  fill(
    'experiment',
    experiment.rows.map((row) =>
      el(
        'tr',
        { 'data-metric': row.metric },
        el('th', { scope: 'row' }, row.label, row.primary ? ' (primary)' : ''),
        figureCell(row.lightrag, 'LightRAG'),
        figureCell(row.perplexity, 'Perplexity'),
        figureCell(row.lift, 'lift [95 % CI]'),
        el('td', { 'data-label': 'interval', class: 'interval' }, intervalSvg(row.bar)),
        figureCell(row.pValue, 'p (Holm)'),
        figureCell(row.chanceToWin, 'chance to win'),
      ),
    ),
  );
}

/** The fleet card (a fleet store only): its instances, skew highlighted, the kill switch's reach. */
export function paintFleet(fleet: FleetPanel | null): void {
  const section = byId('fleet');
  section.hidden = fleet === null;
  if (!fleet) return;
  byId('fleet-store').textContent = fleet.error ?? fleet.store;
  byId('fleet-store').className = fleet.error ? 'fail' : '';
  byId('fleet-summary').textContent = fleet.summary;
  byId('fleet-kill-switch').textContent = fleet.killSwitch;
  fill(
    'fleet-skew',
    fleet.skew.map((line) => el('li', {}, line)),
  );
  fill(
    'fleet-instances',
    fleet.instances.map((row) =>
      el(
        'tr',
        { 'data-instance': row.id, class: row.state },
        el('th', { scope: 'row' }, row.name),
        textCell(row.state, 'state', { 'data-field': 'state' }),
        textCell(row.configVersion, 'config', {
          'data-field': 'configVersion',
          class: row.skew.config && 'skew',
        }),
        textCell(row.runtimeVersion, 'runtime', {
          'data-field': 'runtimeVersion',
          class: row.skew.runtime && 'skew',
        }),
        textCell(row.flagrouteVersion, 'flagroute', {
          'data-field': 'flagrouteVersion',
          class: row.skew.flagroute && 'skew',
        }),
        textCell(
          row.killSwitchApplied === null ? '–' : row.killSwitchApplied ? 'applied' : 'not yet',
          'kill switch',
          { 'data-field': 'killSwitchApplied', class: row.killSwitchApplied === false && 'skew' },
        ),
        textCell(row.lastSeen, 'last seen'),
      ),
    ),
  );
}
