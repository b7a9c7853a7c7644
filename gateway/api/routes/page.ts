import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../../../config/write-json-schema.js';
import type { ApiContext } from '../api-context.js';

/** Plain files, no build step: the same directory serves from the source tree and from dist/. */
const PAGE_DIR = join(packageRoot(), 'gateway', 'api', 'page');

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/page.css': { file: 'page.css', type: 'text/css; charset=utf-8' },
  '/page.js': { file: 'page.js', type: 'text/javascript; charset=utf-8' },
  '/page-checks.js': { file: 'page-checks.js', type: 'text/javascript; charset=utf-8' },
};

/**
 * Nothing from elsewhere: the page loads only its own files and talks only to this API; and no
 * other site may frame it (clickjacking the quarantine buttons): frame-ancestors for current
 * browsers, X-Frame-Options for older ones.
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function pageRoutes(app: FastifyInstance, _ctx: ApiContext): Promise<void> {
  const cache = new Map<string, Buffer>();
  for (const [url, { file, type }] of Object.entries(FILES)) {
    app.get(
      url,
      {
        schema: {
          summary: url === '/' ? 'The live page' : `The live page's ${file}`,
          tags: ['page'],
          response: { 200: { description: file, content: { [type.split(';')[0]!]: { schema: { type: 'string' } } } } },
        },
      },
      async (_request, reply) => {
        let body = cache.get(file);
        if (!body) {
          body = await readFile(join(PAGE_DIR, file));
          cache.set(file, body);
        }
        return reply
          .type(type)
          .header('content-security-policy', CSP)
          .header('x-content-type-options', 'nosniff')
          .header('x-frame-options', 'DENY')
          .header('cache-control', 'no-cache')
          .send(body);
      },
    );
  }
}
