import { pino } from 'pino';
const mk = async (path) => (await import(path)).createRouter({ configDir: '/work/main', environment: 'production', env: {}, watch: false, logger: pino({ level: 'silent' }) });
const A = await mk(process.argv[2] ?? '/tmp/old/dist/index.js');
const B = await mk(process.argv[3] ?? '/work/main/dist/index.js');
const ctxs = Array.from({length: 1000}, (_, i) => ({ userId: `user${i % 500}`, queryText: 'x'.repeat(50 + (i % 200)), queryType: ['clinical','general'][i%2], region: ['us_east','europe'][i%2] }));
const time = (r, sync) => { const t = process.hrtime.bigint(); for (let k = 0; k < 200; k++) for (const c of ctxs) sync ? r.decideSync(c) : r.decide(c); return Number(process.hrtime.bigint() - t) / 200000; };
const res = { A: [], B: [], Aa: [], Ba: [] };
for (let round = 0; round < 9; round++) { res.A.push(time(A, true)); res.B.push(time(B, true)); }
const med = (xs) => xs.slice(2).sort((a, b) => a - b)[Math.floor((xs.length - 2) / 2)];
console.log('sync old', med(res.A).toFixed(0), 'new', med(res.B).toFixed(0));
async function timeAsync(r) { const t = process.hrtime.bigint(); for (let k = 0; k < 100; k++) for (const c of ctxs) await r.decide(c); return Number(process.hrtime.bigint() - t) / 100000; }
for (let round = 0; round < 9; round++) { res.Aa.push(await timeAsync(A)); res.Ba.push(await timeAsync(B)); }
console.log('async old', med(res.Aa).toFixed(0), 'new', med(res.Ba).toFixed(0));
