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
  setReplyHeader(c, 'X-Request-Id', requestId);
  return { requestId, traceparent };
}

declare module 'hono' {
  interface ContextVariableMap {
    /** headers for this request's reply, set before the route answers (request id, rate limit) */
    replyHeaders: Record<string, string>;
    /** the reply reply() made, which already carries them */
    replied: Response;
  }
}

/** A header for this request's reply, whichever route answers it. */
export function setReplyHeader(c: Context, name: string, value: string): void {
  const headers = c.get('replyHeaders');
  if (headers) headers[name] = value;
  else c.set('replyHeaders', { [name]: value });
}

/**
 * A JSON reply with this request's headers, as a Response whose headers are a plain object: @hono/node-server writes
 * those straight to writeHead. c.header() and c.json() with several headers build an undici Headers instead
 * (validated on every set, converted back for Node): ~5% of the edge's CPU on single-event requests.
 */
export function reply(c: Context, body: unknown, status: number, headers?: Record<string, string>): Response {
  const res = new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...c.get('replyHeaders'), ...headers } });
  c.set('replied', res);
  return res;
}

/** Adds this request's headers to a reply not made by reply() (an error, a 404, the docs). */
export function addReplyHeaders(c: Context): void {
  const headers = c.get('replyHeaders');
  if (!headers || c.get('replied') === c.res) return;
  for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
}

export function errorBody(error: string, message?: string) {
  return message ? { error, message } : { error };
}

/** Broker or registry unavailable: no part of the request was acknowledged; retry. */
export function unavailable(c: Context) {
  return reply(c, errorBody('unavailable', 'the event broker did not acknowledge in time; nothing was accepted, retry'), 503, { 'Retry-After': '2' });
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
