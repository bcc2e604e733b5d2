import ts from 'typescript';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
const files = []; const walk = (d) => { for (const f of readdirSync(d)) { const p = join(d, f); statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && files.push(p); } }; walk('src');
const limit = Number(process.argv[2] ?? 30);
for (const f of files) {
  const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isConstructorDeclaration(n) || ts.isGetAccessor(n)) {
      const s = sf.getLineAndCharacterOfPosition(n.getStart()).line; const e = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
      if (e - s + 1 > limit) console.log(`${e - s + 1}\t${f}:${s + 1}\t${n.name?.getText() ?? '(anon)'}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
