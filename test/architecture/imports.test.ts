import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from '../helpers/config-dir.js';
import { folderOf, SRC_DIR, sourceFiles, sourceImports } from '../helpers/source-imports.js';

/** The folders' import graph: folder -> the folders it imports (with one file that does). */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const { from, to } of sourceImports()) {
    const [a, b] = [folderOf(from), folderOf(to)];
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Map());
    if (!graph.get(a)!.has(b)) graph.get(a)!.set(b, `${from} -> ${to}`);
  }
  return graph;
}

/** The strongly connected components of more than one folder (Tarjan): each holds a cycle. */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (stack.includes(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** The files docs/architecture.md lets pass 300 lines, from its section that says why. */
function documentedLongFiles(): string[] {
  const doc = readFileSync(join(REPO_DIR, 'docs', 'architecture.md'), 'utf8');
  const section = doc.split(/^## /m).find((part) => part.startsWith('Files over 300 lines'));
  return [...(section ?? '').matchAll(/^\| `src\/([^`]+)` \|/gm)].map((match) => match[1]!);
}

describe('the structure of src/', () => {
  it('no folder imports a folder that imports it back, directly or around a cycle', () => {
    const graph = folderGraph();
    expect(graph.size).toBeGreaterThan(10);
    const found = cycles(graph).map((component) =>
      component.flatMap((a) =>
        component
          .filter((b) => graph.get(a)?.has(b))
          .map((b) => `${a} -> ${b} (${graph.get(a)!.get(b)})`),
      ),
    );
    expect(found).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', new Map([['b', 'a.ts -> b/x.ts']])],
      ['b', new Map([['c', 'b/x.ts -> c/y.ts']])],
      ['c', new Map([['a', 'c/y.ts -> a.ts']])],
      ['d', new Map([['a', 'd/z.ts -> a.ts']])],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c']]);
  });

  it('no file is over 300 lines except where docs/architecture.md says why', () => {
    const long = sourceFiles()
      .filter((file) => readFileSync(join(SRC_DIR, file), 'utf8').split('\n').length - 1 > 300)
      .sort();
    const documented = documentedLongFiles().sort();
    expect(long).toEqual(documented);
  });
});
