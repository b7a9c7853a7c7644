/**
 * A client of the gateway's HTTP API for end-to-end tests. Every JSON answer is checked against the
 * response schema the API itself declares (gateway/api/schemas.ts), so a test reads a typed body
 * and an answer of the wrong shape fails loudly, naming the request, status and body.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';

export interface JsonResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ApiClient {
  /** The absolute URL of `path` on the API. */
  url(path: string): string;
  get<S extends TSchema>(schema: S, path: string, headers?: Record<string, string>): Promise<JsonResponse<Static<S>>>;
  /** POSTs `body` as JSON. */
  post<S extends TSchema>(schema: S, path: string, body: unknown, headers?: Record<string, string>): Promise<JsonResponse<Static<S>>>;
  /** GETs a text answer (/metrics). */
  text(path: string): Promise<string>;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new WeakMap<TSchema, ValidateFunction>();

function validatorOf<S extends TSchema>(schema: S): ValidateFunction<Static<S>> {
  const known = validators.get(schema) as ValidateFunction<Static<S>> | undefined;
  if (known) return known;
  const validate = ajv.compile<Static<S>>(schema);
  validators.set(schema, validate);
  return validate;
}

async function typedAnswer<S extends TSchema>(schema: S, what: string, res: Response): Promise<JsonResponse<Static<S>>> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${what}: answered ${res.status} with no JSON: ${text.slice(0, 300)}`);
  }
  const validate = validatorOf(schema);
  if (!validate(body)) {
    throw new Error(`${what}: answered ${res.status} ${text.slice(0, 500)}, not the expected shape: ${ajv.errorsText(validate.errors)}`);
  }
  return { status: res.status, headers: res.headers, body };
}

export function apiClient(base: string): ApiClient {
  const url = (path: string) => new URL(path, base).href;
  return {
    url,
    async get(schema, path, headers = {}) {
      return typedAnswer(schema, `GET ${path}`, await fetch(url(path), { headers }));
    },
    async post(schema, path, body, headers = {}) {
      const res = await fetch(url(path), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      return typedAnswer(schema, `POST ${path}`, res);
    },
    async text(path) {
      const res = await fetch(url(path));
      if (!res.ok) throw new Error(`GET ${path}: answered ${res.status}`);
      return res.text();
    },
  };
}
