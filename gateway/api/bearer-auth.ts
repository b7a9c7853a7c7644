import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * An onRequest hook for routes that change state: it runs before the body is read or validated,
 * so an unauthenticated caller learns nothing about the body's schema. Comparing fixed-length
 * digests keeps the compare constant-time whatever the length of the token offered.
 */
export function requireBearerToken(token: string | undefined) {
  const expected = token ? digest(token) : null;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (expected === null) {
      return reply.code(403).send({
        statusCode: 403,
        error: 'Forbidden',
        message: 'this route changes state and needs a token: set api.token in the config (e.g. token: ${METROGATE_API_TOKEN})',
      });
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      request.log.warn(
        { route: request.routeOptions.url, hasHeader: request.headers.authorization !== undefined },
        'api: rejected a request without a valid token',
      );
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="metrogate"')
        .send({ statusCode: 401, error: 'Unauthorized', message: 'missing or wrong token: send Authorization: Bearer <api.token>' });
    }
  };
}
