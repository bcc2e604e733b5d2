import { createRouter } from './dist/index.js';
const router = await createRouter({ configDir: '.', environment: 'production', env: {}, watch: false, logger: (await import('pino')).pino({level:'silent'}) });
const ctxs = Array.from({length: 1000}, (_, i) => ({ userId: `user${i % 500}`, queryText: 'x'.repeat(50 + (i % 200)), queryType: ['clinical','general'][i%2], region: ['us_east','europe'][i%2] }));
for (let r = 0; r < 5; r++) {
  const t = process.hrtime.bigint();
  for (let k = 0; k < 300; k++) for (const c of ctxs) router.decideSync(c);
  const ns = Number(process.hrtime.bigint() - t) / 300000;
  console.log('decideSync ns', ns.toFixed(0));
}
await router.close();
