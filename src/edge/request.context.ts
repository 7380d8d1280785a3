// Per-request values every edge route needs: request id, W3C traceparent, and the uniform error replies.
import type { Context } from 'hono';
import { v5 as uuidv5 } from 'uuid';
import type { RequestMeta } from './event.publisher.ts';
import { randomHex, uuidv7 } from './uuid7.ts';

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const REQUEST_ID = /^[\w\-.:]{1,128}$/;
/** Namespace for ids derived from client keys (Idempotency-Key, webhook id): a resend maps to the same id. */
const NAMESPACE = '8f2c3a62-5a7e-4bb5-9a3e-6f1c0f1e7d10';

export function derivedId(...parts: string[]): string {
  return uuidv5(parts.join('\u0000'), NAMESPACE);
}

/** The caller's X-Request-Id (echoed back) and traceparent, or fresh ones; they travel as Kafka headers. */
export function requestMeta(c: Context): RequestMeta {
  const given = c.req.header('x-request-id');
  const requestId = given && REQUEST_ID.test(given) ? given : uuidv7();
  const incoming = c.req.header('traceparent')?.trim().toLowerCase();
  const traceparent = incoming && TRACEPARENT.test(incoming) ? incoming : `00-${randomHex(16)}-${randomHex(8)}-01`;
  c.header('X-Request-Id', requestId);
  return { requestId, traceparent };
}

export function errorBody(error: string, message?: string) {
  return message ? { error, message } : { error };
}

/** Broker or registry unavailable: no part of the request was acknowledged; retry. */
export function unavailable(c: Context) {
  return c.json(errorBody('unavailable', 'the event broker did not acknowledge in time; nothing was accepted, retry'), 503, { 'Retry-After': '2' });
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
