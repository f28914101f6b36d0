/**
 * The web dashboard (`apps/web`, ARCHITECTURE §2), served by the API at `/`: its built files from
 * `apps/web/dist`, and the app's page for every other path a browser asks for (`/runs/run_…`), so
 * links and reloads land in the app. `/v1`, the docs, health and metrics keep their own routes.
 *
 * The page gets a strict Content-Security-Policy: scripts, styles, fonts and connections only from
 * this origin, no inline script, images only from this origin or `data:`. Model output and tool
 * results are rendered as text by the app; should anything slip through, `img-src 'self' data:` stops
 * a Markdown image from carrying data to another host, and `script-src 'self'` stops inline script.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The dashboard's Content-Security-Policy. */
export const dashboardContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of the app's page (the document the CSP governs). */
const pageHeaders = {
  'content-security-policy': dashboardContentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  // Always revalidated, so a new build is picked up; the assets it names are immutable.
  'cache-control': 'no-cache',
};

/** Where the built dashboard is in this checkout (or image): `apps/web/dist` at the repository root. */
export const defaultDashboardDirectory = (): string =>
  resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../apps/web/dist');

/** True when `directory` holds a built dashboard. */
export const dashboardBuilt = (directory: string): boolean => existsSync(join(directory, 'index.html'));

/** The command that builds the dashboard (also run by `npm install`, see scripts/build-web.ts). */
export const dashboardBuildCommand = 'npm run build -w apps/web';

const servedElsewhere = /^\/(v1|docs|openapi\.json|healthz|readyz|metrics)(\/|$|\?)/;

/** True for a browser's navigation to a page of the app (not an API call, not a missing file). */
function isPageRequest(request: FastifyRequest): boolean {
  const path = request.url.split('?')[0] ?? '/';
  if (servedElsewhere.test(path)) return false;
  // A path with a file extension is a file: if it is not in dist, it is a 404, not the app.
  if (/\.[A-Za-z0-9]+$/.test(path)) return false;
  const accept = request.headers.accept ?? '';
  return accept === '' || accept.includes('text/html') || accept.includes('*/*');
}

/**
 * Serves the dashboard built in `directory`. Register it after the API's own routes; its catch-all
 * answers only page navigations and hands everything else to the not-found handler.
 */
export async function installDashboard(api: FastifyInstance, directory: string): Promise<void> {
  const page = readFileSync(join(directory, 'index.html'));
  const sendPage = (reply: FastifyReply): FastifyReply =>
    reply.headers(pageHeaders).type('text/html; charset=utf-8').send(page);
  await api.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: directory,
      // Routes for the files dist holds now; every other path is the app's, below.
      wildcard: false,
      index: false,
      serveDotFiles: false,
      schemaHide: true,
      setHeaders: (reply, path) => {
        reply.header('x-content-type-options', 'nosniff');
        // Vite names assets by content hash: they never change under the same name.
        if (/[\\/]assets[\\/]/.test(path))
          reply.header('cache-control', 'public, max-age=31536000, immutable');
        if (path.endsWith('.html')) reply.headers(pageHeaders);
      },
    });
    const answer = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      if (isPageRequest(request)) return sendPage(reply);
      reply.callNotFound();
      return reply;
    };
    scope.get('/', { schema: { hide: true } }, answer);
    scope.get('/*', { schema: { hide: true } }, answer);
  });
}
