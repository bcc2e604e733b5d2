import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { echoed } from '../config/schema-errors.js';
import { FlagrouteError } from '../errors.js';
import type { DashboardFeed } from './dashboard-feed.js';

/** The page's HTML and styles, copied beside this module by the build (`src/dashboard/static`). */
const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');
/**
 * The page's script, compiled by the build from `src/dashboard/page` into `dist/dashboard/page`.
 * This module lies two folders below the package root whether it runs built (`dist/dashboard`)
 * or from source in the tests (`src/dashboard`), so the same relative path finds the build.
 */
const PAGE_DIR = fileURLToPath(new URL('../../dist/dashboard/page/', import.meta.url));
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));

const SCRIPT = 'text/javascript; charset=utf-8';

/** Every file the page loads, all served from the package: the page needs no network. */
function assets(): Readonly<Record<string, { path: string; type: string }>> {
  const page = existsSync(PAGE_DIR) ? readdirSync(PAGE_DIR) : [];
  return {
    ...Object.fromEntries(
      page
        .filter((file) => file.endsWith('.js'))
        .map((file) => [file, { path: join(PAGE_DIR, file), type: SCRIPT }]),
    ),
    'dashboard.css': { path: join(STATIC_DIR, 'dashboard.css'), type: 'text/css; charset=utf-8' },
    'uPlot.iife.min.js': { path: join(UPLOT_DIR, 'uPlot.iife.min.js'), type: SCRIPT },
    'uPlot.min.css': { path: join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
  };
}

/** How often the stream sends a snapshot when nothing happened. */
export const STREAM_INTERVAL_MS = 1000;
/** Default of {@link DashboardRouteOptions.maxStreams}. */
export const DEFAULT_MAX_STREAMS = 100;

/** Options of {@link dashboardRoutes}. */
export interface DashboardRouteOptions {
  /**
   * Event streams (`/v1/dashboard/stream`) open at once in this process; one more is refused
   * with 503 `TOO_MANY_STREAMS` until one closes. Default {@link DEFAULT_MAX_STREAMS}.
   */
  maxStreams?: number;
}

/** The page's policy: its own files only, and never inside another site's frame. */
const PAGE_POLICY =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The dashboard: `/dashboard` (one page, no network), its assets, the view model as JSON
 * (`/v1/dashboard/snapshot`, for polling) and as server-sent events
 * (`/v1/dashboard/stream`: a snapshot every second and at once on every event).
 */
export function dashboardRoutes(
  app: FastifyInstance,
  feed: DashboardFeed,
  options: DashboardRouteOptions = {},
): void {
  const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  const files = assets();
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
  });
  app.get('/dashboard', async (_, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', PAGE_POLICY)
      .header('x-frame-options', 'DENY')
      .send(await readFile(join(STATIC_DIR, 'index.html'))),
  );
  app.get<{ Params: { file: string } }>('/dashboard/:file', async (request, reply) => {
    const file = request.params.file;
    // `/dashboard/` is the page, as a browser or a person typing the address expects.
    if (file === '') return reply.redirect('/dashboard', 308);
    const asset = Object.hasOwn(files, file) ? files[file] : undefined;
    if (!asset) throw new FlagrouteError('NOT_FOUND', `no dashboard file ${echoed(file, true)}`);
    return reply
      .type(asset.type)
      .header('cache-control', 'no-cache')
      .send(await readFile(asset.path));
  });
  app.get('/v1/dashboard/snapshot', async () => feed.snapshot());
  const broadcast = snapshotBroadcast(feed, streams, app);
  app.get('/v1/dashboard/stream', (request, reply) => {
    if (streams.size >= maxStreams) {
      reply.header('retry-after', String(Math.ceil((STREAM_INTERVAL_MS * 5) / 1000)));
      throw new FlagrouteError(
        'TOO_MANY_STREAMS',
        `this server already sends ${streams.size} dashboard streams, its limit; poll /v1/dashboard/snapshot, or try again when one closes`,
      );
    }
    reply.hijack();
    const stream = reply.raw;
    stream.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    broadcast.add(stream);
    request.raw.on('close', () => broadcast.remove(stream));
  });
}

/**
 * One snapshot for every open stream: every second while any is open, and at once on every
 * event (and for a newcomer). A snapshot asked for while one is being made is made once more
 * after it, never twice at the same time.
 */
function snapshotBroadcast(
  feed: DashboardFeed,
  streams: Set<ServerResponse>,
  app: FastifyInstance,
) {
  let timer: NodeJS.Timeout | undefined;
  let stopListening: (() => void) | undefined;
  let busy = false;
  let again = false;
  const send = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const message = `event: snapshot\ndata: ${JSON.stringify(await feed.snapshot())}\n\n`;
      for (const stream of streams) if (!stream.writableEnded) stream.write(message);
    } catch (error) {
      app.log.error({ err: error }, 'dashboard snapshot failed');
    } finally {
      busy = false;
    }
    if (again) {
      again = false;
      await send();
    }
  };
  return {
    add(stream: ServerResponse): void {
      streams.add(stream);
      timer ??= setInterval(() => void send(), STREAM_INTERVAL_MS);
      stopListening ??= feed.onChange(() => void send());
      void send();
    },
    remove(stream: ServerResponse): void {
      streams.delete(stream);
      if (streams.size > 0) return;
      clearInterval(timer);
      timer = undefined;
      stopListening?.();
      stopListening = undefined;
    },
  };
}
