// flagroute dashboard: one snapshot at a time from /v1/dashboard/stream (server-sent events),
// falling back to polling /v1/dashboard/snapshot. No framework, no build step, no network
// beyond this server. Raw numbers sit in data-value attributes beside their formatted text.
(() => {
  const HISTORY_POINTS = 600;
  const BACKENDS = ['lightrag', 'perplexity'];
  // The metric table (labels and formats) comes with every snapshot, from the server's table.
  let metricTable = {};
  const formatted = (name, value) => {
    const { scale, decimals, prefix, suffix } = metricTable[name].format;
    return `${prefix}${(scale === 1 ? value : value * scale).toFixed(decimals)}${suffix}`;
  };

  const $ = (id) => document.getElementById(id);
  const el = (tag, attributes = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value !== undefined && value !== null) node.setAttribute(key, String(value));
    }
    for (const child of children) node.append(child instanceof Node ? child : String(child));
    return node;
  };
  const number = (value, digits = 3) =>
    value === null || value === undefined ? '–' : Number(value).toFixed(digits);
  const cell = (field, value, text) =>
    el('td', { 'data-field': field, 'data-value': value ?? '' }, text ?? number(value));
  const signed = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
  const time = (iso) => el('time', { datetime: iso }, new Date(iso).toLocaleTimeString());

  function fill(id, rows) {
    const target = $(id);
    target.replaceChildren(...rows);
  }

  function history(id, entries) {
    fill(
      id,
      entries.map((entry) => {
        const item = el('li', {}, time(entry.at), entry.text);
        if (entry.errors?.length) {
          item.append(
            el(
              'ul',
              { class: 'errors' },
              ...entry.errors.map((error) => el('li', { 'data-field': 'reload-error' }, error)),
            ),
          );
        }
        return item;
      }),
    );
  }

  // --- charts --------------------------------------------------------------------------------
  const charts = {};
  const series = { t: [] };
  function chart(id, names) {
    const target = $(id);
    const width = Math.max(300, target.clientWidth || 360);
    const colours = ['#0550ae', '#b35900', '#1a7f37', '#8250df', '#cf222e', '#57606a'];
    const options = {
      width,
      height: 180,
      scales: { x: { time: true } },
      legend: { live: false },
      series: [
        {},
        ...names.map((name, index) => ({
          label: name,
          stroke: colours[index % colours.length],
          width: 2,
          spanGaps: true,
        })),
      ],
      axes: [{}, { size: 60 }],
    };
    for (const name of names) series[`${id}:${name}`] = [];
    charts[id] = { names, plot: new uPlot(options, [[], ...names.map(() => [])], target) };
  }
  function pushPoint(id, values) {
    for (const [name, value] of Object.entries(values)) {
      const list = series[`${id}:${name}`];
      list.push(value === undefined ? null : value);
      if (list.length > HISTORY_POINTS) list.shift();
    }
  }
  function redraw() {
    for (const [id, { names, plot }] of Object.entries(charts)) {
      plot.setData([series.t, ...names.map((name) => series[`${id}:${name}`])]);
    }
  }
  // The decision reasons come with the first snapshot (flagroute's REASONS), not from a copy here.
  let reasons = [];
  function setUpCharts() {
    chart('chart-decisions', BACKENDS);
    chart(
      'chart-latency',
      BACKENDS.flatMap((backend) => [`${backend} p50`, `${backend} p95`, `${backend} p99`]),
    );
    chart('chart-errors', BACKENDS);
    chart('chart-quality', BACKENDS);
    chart('chart-cost', BACKENDS);
  }

  let previous = null;
  function recordSeries(snapshot) {
    const now = Date.now() / 1000;
    const rates = {};
    const reasonRates = {};
    if (previous && now - previous.t > 0.2) {
      const dt = now - previous.t;
      for (const backend of BACKENDS) {
        rates[backend] =
          ((snapshot.decisions.byBackend[backend] ?? 0) - (previous.byBackend[backend] ?? 0)) / dt;
      }
      for (const reason of reasons) {
        reasonRates[reason] =
          ((snapshot.decisions.byReason[reason] ?? 0) - (previous.byReason[reason] ?? 0)) / dt;
      }
    } else if (previous) {
      return;
    }
    previous = {
      t: now,
      byBackend: snapshot.decisions.byBackend,
      byReason: snapshot.decisions.byReason,
    };
    series.t.push(now);
    if (series.t.length > HISTORY_POINTS) series.t.shift();
    pushPoint('chart-decisions', rates);
    pushPoint('chart-reasons', reasonRates);
    const latency = {};
    const errors = {};
    const quality = {};
    const cost = {};
    for (const backend of BACKENDS) {
      const recent = snapshot.summary.performance[backend].recent;
      latency[`${backend} p50`] = recent.median_response_time;
      latency[`${backend} p95`] = recent.p95_response_time;
      latency[`${backend} p99`] = recent.p99_response_time;
      const total = recent.success_count + recent.error_count;
      errors[backend] = total > 0 ? recent.error_count / total : null;
      quality[backend] = recent.avg_quality_score;
      cost[backend] = recent.avg_cost_usd;
    }
    pushPoint('chart-latency', latency);
    pushPoint('chart-errors', errors);
    pushPoint('chart-quality', quality);
    pushPoint('chart-cost', cost);
    redraw();
  }

  // --- sections ------------------------------------------------------------------------------
  function renderRollout(status) {
    $('environment').textContent = status.environment;
    const percentage = $('rollout-percentage');
    percentage.textContent = String(status.rolloutPercentage);
    percentage.dataset.value = String(status.rolloutPercentage);
    $('rollout-origin').textContent = status.rolloutOrigin;
    $('config-version').textContent = status.configVersion;
    const killSwitch = status.rolloutLayers.killSwitch;
    const banner = $('kill-switch');
    banner.hidden = !killSwitch.engaged;
    banner.textContent = killSwitch.engaged
      ? `Kill switch engaged: 0 % everywhere (${killSwitch.reason ?? 'no reason given'})`
      : '';
    fill(
      'regions',
      Object.entries(status.regions).map(([name, share]) =>
        el(
          'tr',
          { 'data-region': name },
          el('th', { scope: 'row' }, name),
          cell('effective', share.rolloutPercentage, String(share.rolloutPercentage)),
          cell('configured', share.configured, String(share.configured)),
          el('td', { 'data-why': '' }, share.why),
          el('td', {}, share.origin),
        ),
      ),
    );
    const last = status.lastReload;
    $('last-reload').textContent =
      `${last.ok ? 'ok' : 'FAILED'} at ${new Date(last.at).toLocaleTimeString()}`;
  }

  function renderPlan(plan) {
    const phase = $('plan-phase');
    if (!plan) {
      phase.textContent = 'no plan';
      return;
    }
    const state = plan.state;
    phase.textContent = state.phase;
    phase.className = `pill ${state.phase}`;
    phase.dataset.value = state.phase;
    $('plan-reason').textContent = state.reason;
    fill(
      'plan-stages',
      plan.stages.map((stage, index) =>
        el(
          'li',
          {
            class: stage.state,
            'data-stage': index + 1,
            'aria-current': stage.state === 'current' ? 'step' : undefined,
          },
          el('strong', {}, `${stage.percentage} %`),
          el('br'),
          `hold ${stage.hold}${stage.min_units ? `, ${stage.min_units}/arm` : ''}${stage.approval ? ', approval' : ''}`,
        ),
      ),
    );
    const parts = [];
    if (plan.holdLeftMs !== null)
      parts.push(`hold left ${Math.ceil(plan.holdLeftMs / 60000)} min (plan time)`);
    const look = state.lastLook;
    const progress = $('plan-progress');
    progress.replaceChildren(parts.join('; '));
    if (look) {
      const needed = plan.stages[state.stage]?.min_units ?? 0;
      for (const [arm, count] of [
        ['LightRAG', look.units.treatment],
        ['baseline', look.units.baseline],
      ]) {
        const share = needed > 0 ? Math.min(1, count / needed) : 1;
        progress.append(
          el('div', {}, `${arm}: ${count}${needed ? ` of ${needed}` : ''} outcomes at this stage`),
          el(
            'div',
            {
              class: 'progress',
              role: 'progressbar',
              'aria-label': `${arm} sample progress`,
              'aria-valuemin': 0,
              'aria-valuemax': 100,
              'aria-valuenow': Math.round(share * 100),
            },
            el('span', { style: `width:${share * 100}%` }),
          ),
        );
      }
      fill(
        'plan-guardrails',
        look.guardrails.map((reading) =>
          el(
            'tr',
            {},
            el('th', { scope: 'row' }, reading.name),
            cell(
              'value',
              reading.value,
              reading.value === null ? '–' : Number(reading.value).toPrecision(4),
            ),
            el('td', {}, String(reading.threshold)),
            el(
              'td',
              { class: reading.ok ? 'ok' : 'fail' },
              reading.ok ? 'ok' : 'FAILED',
              reading.note ? el('div', { class: 'muted' }, reading.note) : '',
            ),
          ),
        ),
      );
    }
  }

  function renderSafety(summary) {
    const breaker = summary.circuit_breaker;
    const gate = summary.quality_gate;
    $('breaker-state').textContent = `${breaker.state} (${breaker.failure_count} failures)`;
    $('breaker-state').dataset.value = breaker.state;
    $('gate-state').textContent =
      `${gate.state}${gate.average_quality === null ? '' : `, average ${number(gate.average_quality)}`}`;
    $('gate-state').dataset.value = gate.state;
  }

  function renderBackends(summary) {
    fill(
      'backends',
      BACKENDS.map((backend) => {
        const figures = summary.performance[backend];
        return el(
          'tr',
          { 'data-backend': backend },
          el('th', { scope: 'row' }, backend),
          cell('success_count', figures.success_count, String(figures.success_count)),
          cell('error_count', figures.error_count, String(figures.error_count)),
          cell('median_response_time', figures.median_response_time),
          cell('p95_response_time', figures.p95_response_time),
          cell('p99_response_time', figures.p99_response_time),
          cell('avg_quality_score', figures.avg_quality_score),
          cell(
            'avg_cost_usd',
            figures.avg_cost_usd,
            figures.avg_cost_usd === null ? '–' : `$${figures.avg_cost_usd.toFixed(5)}`,
          ),
        );
      }),
    );
  }

  function intervalBar(metric) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('width', '180');
    svg.setAttribute('height', '20');
    svg.setAttribute('role', 'img');
    if (!metric.relative_ci) {
      svg.setAttribute('aria-label', 'not computable');
      return svg;
    }
    const [low, high] = metric.relative_ci;
    svg.setAttribute(
      'aria-label',
      `lift ${signed(metric.relative)}, interval ${signed(low)} to ${signed(high)}`,
    );
    const span = Math.max(Math.abs(low), Math.abs(high), 0.01) * 1.15;
    const x = (value) => 90 + (value / span) * 85;
    const good = metric.better === 'higher' ? low > 0 : high < 0;
    const bad = metric.better === 'higher' ? high < 0 : low > 0;
    const colour = good ? '#1a7f37' : bad ? '#b42318' : '#57606a';
    const line = (attributes) => {
      const node = document.createElementNS(ns, 'line');
      for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
      svg.append(node);
    };
    line({ x1: 90, y1: 0, x2: 90, y2: 20, stroke: '#1f2328' });
    line({
      x1: x(low),
      y1: 10,
      x2: x(high),
      y2: 10,
      stroke: colour,
      'stroke-width': 6,
      'stroke-linecap': 'round',
    });
    return svg;
  }

  function renderExperiment(report) {
    const srm = $('srm-banner');
    srm.hidden = !report.srm.mismatch;
    srm.textContent = report.srm.mismatch
      ? `Sample-ratio mismatch (p = ${report.srm.p_value.toPrecision(3)}): the split is not the configured one; no comparison can be trusted.`
      : '';
    $('verdict').textContent = report.verdict;
    $('verdict').dataset.winner = report.winner ?? '';
    fill(
      'experiment',
      Object.entries(report.metrics).map(([name, metric]) => {
        const { label } = metricTable[name];
        const mean = (value) => (value === null ? '–' : formatted(name, value));
        return el(
          'tr',
          { 'data-metric': name },
          el('th', { scope: 'row' }, label, metric.role === 'primary' ? ' (primary)' : ''),
          cell('mean-lightrag', metric.mean[0], `${mean(metric.mean[0])} (n ${metric.n[0]})`),
          cell('mean-perplexity', metric.mean[1], `${mean(metric.mean[1])} (n ${metric.n[1]})`),
          cell(
            'relative',
            metric.relative,
            metric.relative === null
              ? '–'
              : `${signed(metric.relative)} [${signed(metric.relative_ci[0])}, ${signed(metric.relative_ci[1])}]`,
          ),
          el('td', {}, intervalBar(metric)),
          cell(
            'p_value_holm',
            metric.p_value_holm,
            metric.p_value_holm === null
              ? '–'
              : metric.p_value_holm < 0.0001
                ? '< 0.0001'
                : metric.p_value_holm.toFixed(4),
          ),
          cell(
            'chance_to_win',
            metric.chance_to_win,
            metric.chance_to_win === null ? '–' : `${(metric.chance_to_win * 100).toFixed(1)} %`,
          ),
        );
      }),
    );
  }

  function render(snapshot) {
    document.body.dataset.snapshotAt = snapshot.at;
    if (!charts['chart-reasons']) {
      reasons = snapshot.reasons;
      chart('chart-reasons', reasons);
    }
    renderRollout(snapshot.status);
    renderPlan(snapshot.plan);
    renderSafety(snapshot.summary);
    renderBackends(snapshot.summary);
    metricTable = Object.fromEntries(snapshot.metrics.map((metric) => [metric.name, metric]));
    renderExperiment(snapshot.experiment);
    history('plan-history', snapshot.history.plan);
    history('safety-history', snapshot.history.safety);
    history('reload-history', snapshot.history.reloads);
    $('admin').hidden = !snapshot.admin;
    recordSeries(snapshot);
  }

  // --- data ----------------------------------------------------------------------------------
  let polling = null;
  function poll() {
    if (polling) return;
    $('connection').textContent = 'live (polling every 2 s)';
    polling = setInterval(async () => {
      try {
        const response = await fetch('/v1/dashboard/snapshot');
        if (response.ok) render(await response.json());
      } catch {
        $('connection').textContent = 'server unreachable; retrying';
      }
    }, 2000);
  }
  function connect() {
    if (!('EventSource' in window)) return poll();
    const source = new EventSource('/v1/dashboard/stream');
    let failures = 0;
    source.addEventListener('snapshot', (event) => {
      failures = 0;
      $('connection').textContent = 'live';
      render(JSON.parse(event.data));
    });
    source.addEventListener('error', () => {
      failures += 1;
      $('connection').textContent = 'reconnecting…';
      // CLOSED: the server refused the stream (its limit of streams), and the browser gives up.
      if (failures >= 3 || source.readyState === EventSource.CLOSED) {
        source.close();
        poll();
      }
    });
  }

  // --- admin ---------------------------------------------------------------------------------
  $('admin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const action = event.submitter?.dataset.action;
    const token = $('admin-token').value;
    const reason = $('admin-reason').value.trim();
    const result = $('admin-result');
    if (!action) return;
    try {
      const response = await fetch(`/v1/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ reason }),
      });
      const body = await response.json().catch(() => ({}));
      result.textContent = response.ok
        ? `${action}: done`
        : `${action} refused (${response.status}): ${body.errorDetails ?? ''}`;
      result.className = response.ok ? 'ok' : 'fail';
    } catch (error) {
      result.textContent = `${action} failed: ${error.message}`;
      result.className = 'fail';
    }
  });

  setUpCharts();
  connect();
})();
