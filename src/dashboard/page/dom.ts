// The page's few DOM helpers: elements from a tag, attributes and children; nothing else.
import type { Figure, HistoryLine, Moment } from './view-model.js';

type Attributes = Readonly<Record<string, string | number | boolean | null | undefined>>;
type Child = Node | string;

/** The element with `id`; the page's HTML holds every one it asks for. */
export function byId<Kind extends HTMLElement = HTMLElement>(id: string): Kind {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as Kind;
}

/** A new element; attributes that are null, undefined or false are left out. */
export function el<Tag extends keyof HTMLElementTagNameMap>(
  tag: Tag,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[Tag] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false)
      node.setAttribute(key, String(value));
  }
  node.append(...children);
  return node;
}

/** Replaces the children of `#id`. */
export function fill(id: string, children: readonly Node[]): void {
  byId(id).replaceChildren(...children);
}

/** A table cell showing a figure: its text, with the raw value and its `/v1` field beside. */
export function figureCell(figure: Figure, label: string, extra: Attributes = {}): HTMLElement {
  return el(
    'td',
    { 'data-field': figure.field, 'data-value': figure.value ?? '', 'data-label': label, ...extra },
    figure.text,
  );
}

/** A text cell, labelled for the narrow layout (each cell then shows its column's name). */
export function textCell(text: string, label: string, attributes: Attributes = {}): HTMLElement {
  return el('td', { 'data-label': label, ...attributes }, text);
}

/** A moment on the page's one clock, machine-readable too. */
export function time(moment: Moment): HTMLElement {
  return el('time', { datetime: moment.iso, title: moment.iso }, moment.text);
}

/** A history as list items: the newest first, repeats folded with their count. */
export function historyItems(lines: readonly HistoryLine[]): HTMLElement[] {
  return lines.map((line) => {
    const item = el('li', { 'data-count': line.count }, time(line.at), ' ', line.text);
    if (line.count > 1 && line.since) {
      item.append(
        ' ',
        el(
          'span',
          { class: 'count', title: `since ${line.since.iso}` },
          `×${line.count} since `,
          time(line.since),
        ),
      );
    }
    if (line.errors.length > 0) {
      item.append(
        el(
          'ul',
          { class: 'errors' },
          ...line.errors.map((error) => el('li', { 'data-field': 'reload-error' }, error)),
        ),
      );
    }
    return item;
  });
}
