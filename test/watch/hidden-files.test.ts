import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigWatcher } from '../../src/watch/index.js';
import { onTestEnd } from '../helpers/cleanup.js';
import { waitFor } from '../helpers/cli-process.js';
import { tempConfigDir } from '../helpers/config-dir.js';
import { capturingLogger } from '../helpers/silent-logger.js';
import { post, testServer } from '../helpers/test-server.js';

const ENV = 'environments/development.yaml';

/** The lines of `lines` that name a hidden file of environments/ (a lock, a temp, a swap file). */
const namingHiddenFiles = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => /environments[\\/]\.[^.]/.test(JSON.stringify(line)));

describe('hidden files beside the configuration', () => {
  it('are not watched: a lock created empty and written later is no change and no write in place', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 10\n' });
    const { logger, lines } = capturingLogger();
    let reloads = 0;
    const watcher = new ConfigWatcher(
      temp.dir,
      async () => {
        reloads += 1;
      },
      {},
      logger,
    );
    await watcher.start();
    onTestEnd(() => watcher.close());
    const lock = join(temp.dir, 'environments', '.development.yaml.lock');
    const swap = join(temp.dir, 'environments', '.development.yaml.swp');
    await writeFile(lock, '');
    await writeFile(swap, 'b0VIM');
    await temp.write(ENV, 'rollout_percentage: 20\n');
    await waitFor('the first reload', () => reloads >= 1);
    // Written again in place, each as the admin route's lock gets its pid after its create.
    await appendFile(lock, `${process.pid}\n`);
    await appendFile(swap, 'more');
    await temp.write(ENV, 'rollout_percentage: 30\n');
    await waitFor('the second reload', () => reloads >= 2);
    expect(namingHiddenFiles(lines)).toEqual([]);
    // The files it does watch still say when they are written in place.
    expect(lines.filter((line) => /was written in place/.test(String(line.msg)))).toEqual([
      expect.objectContaining({ file: ENV }),
    ]);
  });

  it('are never warned about, however many times the admin route writes through its lock', async () => {
    const temp = await tempConfigDir({ [ENV]: 'rollout_percentage: 10\n' });
    const { logger, lines } = capturingLogger();
    const server = await testServer({
      configDir: temp.dir,
      watch: true,
      adminToken: 'admin-token',
      logger,
    });
    const admin = { authorization: 'Bearer admin-token' };
    for (let write = 1; write <= 30; write += 1) {
      const answer = await post(
        `${server.url}/v1/rollout`,
        { percentage: write, reason: `step ${write}`, waitMs: 0 },
        admin,
      );
      expect(answer.status).toBe(200);
    }
    // A file written after the last answer: once its event is seen, so are the lock's before it.
    await temp.write('environments/after.yaml', 'rollout_percentage: 1\n');
    await waitFor('the watcher to see a file written after the last write', () =>
      lines.some(
        (line) => line.msg === 'config file event' && /after\.yaml/.test(String(line.path)),
      ),
    );
    const warnings = lines.filter((line) => Number(line.level) >= 40);
    expect(namingHiddenFiles(warnings)).toEqual([]);
    // Not even seen: a lock's create, write and removal are no event of the configuration.
    expect(namingHiddenFiles(lines)).toEqual([]);
  });
});
