import { pino } from 'pino';
const path = process.argv[2];
const r = await (await import(path)).createRouter({ configDir: '/work/main', environment: 'production', env: {}, watch: false, logger: pino({ level: 'silent' }) });
const ctxs = Array.from({length: 1000}, (_, i) => ({ userId: `user${i % 500}`, queryText: 'x'.repeat(50 + (i % 200)), queryType: ['clinical','general'][i%2], region: ['us_east','europe'][i%2] }));
for (let k = 0; k < 4000; k++) for (const c of ctxs) r.decideSync(c);
