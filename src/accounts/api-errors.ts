// One error shape for every accounts/contacts route (seed 002):
// {error: {message, type, status, timestamp, code, details}}. Validation errors list every bad field in details.fields.
import { Hono, type Context, type ErrorHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { isRetriable } from '../infra/errors.ts';
import type { Logger } from '../infra/logger.ts';
import { isRetriablePgError } from '../infra/postgres.ts';
import { authFailures } from './accounts.metrics.ts';

const TYPES: Record<number, string> = {
  400: 'VALIDATION_ERROR',
  401: 'AUTHENTICATION_ERROR',
  403: 'AUTHORIZATION_ERROR',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message });
  }
}

export interface FieldProblem {
  field: string;
  message: string;
}

export function validationError(fields: FieldProblem[], message = 'the request has invalid fields'): ApiError {
  return new ApiError(400, 'VALIDATION_ERROR', message, { fields });
}

export function zodProblems(error: z.ZodError, prefix = ''): FieldProblem[] {
  return error.issues.flatMap((i) => {
    const at = i.path.length ? `${i.path.join('.')}.` : '';
    // one entry per unknown field, named, rather than one "unrecognized keys" entry for the whole object
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ field: prefix + at + k, message: 'unknown field' }));
    return [{ field: prefix + (i.path.length ? i.path.join('.') : '(body)'), message: i.message }];
  });
}

export function errorBody(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
  return { error: { message, type: TYPES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'REQUEST_ERROR'), status, timestamp: new Date().toISOString(), code, details } };
}

const DEFAULT_CODES: Record<number, string> = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 413: 'BODY_TOO_LARGE' };

/** The onError of every router here: known errors keep their status; anything else is a 500 that reveals nothing. */
export function apiErrorHandler(logger: Logger): ErrorHandler {
  return function onApiError(err, c) {
    if (err instanceof HTTPException && (err.status === 401 || err.status === 403)) authFailures.inc({ status: String(err.status) });
    if (err instanceof ApiError) return c.json(errorBody(err.status, err.code, err.message, err.details), err.status, err.headers);
    if (err instanceof HTTPException) {
      const headers = err.res ? Object.fromEntries(err.res.headers) : undefined;
      return c.json(errorBody(err.status, DEFAULT_CODES[err.status] ?? 'REQUEST_ERROR', err.message), err.status as ContentfulStatusCode, headers);
    }
    if (isRetriablePgError(err) || isRetriable(err)) {
      // Postgres restarting, a deadlock or serialization failure, a dependency away: the client may retry as is
      logger.warn({ err, path: c.req.path, method: c.req.method }, 'dependency unavailable');
      return c.json(errorBody(503, 'DEPENDENCY_UNAVAILABLE', 'a dependency is unavailable; retry shortly'), 503, { 'Retry-After': '1' });
    }
    logger.error({ err, path: c.req.path, method: c.req.method }, 'request failed');
    return c.json(errorBody(500, 'INTERNAL_ERROR', 'internal error'), 500);
  };
}

/** Reads a JSON body; a body that is not JSON is a 400 naming the problem, not a 500. */
export async function jsonBody(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  try {
    return await c.req.json();
  } catch (err) {
    if (err instanceof HTTPException) throw err; // the body limit's 413
    throw new ApiError(400, 'INVALID_JSON', 'the body is not valid JSON');
  }
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(zodProblems(parsed.error, prefix));
  return parsed.data;
}

/** A router with this module's error shape and a body size limit (413 before the handler reads a byte too many). */
export function createApiRouter(deps: { logger: Logger }, options: { maxBodyBytes: number }): Hono {
  const app = new Hono();
  app.onError(apiErrorHandler(deps.logger));
  app.use('*', bodyLimit({ maxSize: options.maxBodyBytes, onError: (c) => c.json(errorBody(413, 'BODY_TOO_LARGE', `the body exceeds ${options.maxBodyBytes} bytes`), 413) }));
  return app;
}
