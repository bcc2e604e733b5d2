/**
 * The peer of the HTTP bench, in a process of its own as `flagroute serve` is: a bare fastify
 * route at OFREP's single-flag path that returns a fixed JSON body. `node bare-route.js` prints
 * `listening on URL` once it listens on a free loopback port, and stops on SIGTERM.
 */
import Fastify from 'fastify';

const app = Fastify();
app.post('/ofrep/v1/evaluate/flags/backend', async () => ({
  key: 'backend',
  value: 'perplexity',
  variant: 'control',
  reason: 'SPLIT',
}));
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening on ${url}\n`);
process.once('SIGTERM', () => void app.close());
