// The charts: one uPlot per chart of the view, a point per snapshot at the view's time.
import type UPlot from 'uplot';
import { byId, el } from './dom.js';
import type { ChartView } from './view-model.js';

/** uPlot, loaded by its own script tag before the page (`/dashboard/uPlot.iife.min.js`). */
declare const uPlot: typeof UPlot;

/** How many points each chart keeps. */
const POINTS = 600;

/**
 * One colour per line, all distinct (Okabe and Ito's palette for colour-blind readers, then
 * three more); a chart with more lines than colours dashes the rest.
 */
export const PALETTE = [
  '#0072b2',
  '#d55e00',
  '#009e73',
  '#cc79a7',
  '#e69f00',
  '#56b4e9',
  '#1f2328',
  '#8250df',
  '#b42318',
  '#7d5a00',
] as const;

/** A time in seconds on the page's one clock, as the page writes every time: `HH:MM:SS`. */
export function clockText(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(11, 19);
}

interface Chart {
  names: string;
  plot: UPlot;
  data: number[][];
}

const charts = new Map<string, Chart>();
const times: number[] = [];

function create(view: ChartView): Chart {
  const target = byId('charts');
  const box = el('div', { class: 'chart', 'data-chart': view.id });
  target.append(el('figure', {}, el('figcaption', {}, view.title), box));
  const plot = new uPlot(
    {
      width: Math.max(260, box.clientWidth || 360),
      height: 180,
      scales: { x: { time: true } },
      legend: { live: false },
      series: [
        { value: (_, value) => (value === null ? '–' : clockText(value)) },
        ...view.series.map((line, index) => ({
          label: line.name,
          stroke: PALETTE[index % PALETTE.length]!,
          width: 2,
          spanGaps: true,
          ...(index >= PALETTE.length ? { dash: [6, 4] } : {}),
        })),
      ],
      axes: [{ values: (_, splits) => splits.map(clockText) }, { size: 60 }],
    },
    [[], ...view.series.map(() => [])],
    box,
  );
  new ResizeObserver(() =>
    plot.setSize({ width: Math.max(260, box.clientWidth), height: 180 }),
  ).observe(box);
  return {
    names: view.series.map((line) => line.name).join('\n'),
    plot,
    data: view.series.map(() => []),
  };
}

/** Adds the view's values at `time` (seconds on the page's clock) to every chart and redraws. */
export function plotPoint(time: number, views: readonly ChartView[]): void {
  if (times.at(-1) === time) return;
  times.push(time);
  if (times.length > POINTS) times.shift();
  for (const view of views) {
    let chart = charts.get(view.id);
    if (!chart || chart.names !== view.series.map((line) => line.name).join('\n')) {
      chart = create(view);
      charts.set(view.id, chart);
    }
    view.series.forEach((line, index) => {
      const values = chart.data[index]!;
      // uPlot draws a null as a gap; the typed data says number, as its own examples do.
      values.push(line.value as number);
      if (values.length > times.length) values.shift();
    });
    chart.plot.setData([times.slice(-chart.data[0]!.length), ...chart.data]);
  }
}
