// Webhook signatures, pure. AcmeCRM (seed 002): X-Acme-Signature = hex HMAC-SHA256(secret, `${timestamp}.${rawBody}`),
// X-Acme-Timestamp in unix seconds. Standard Webhooks: webhook-signature = "v1,<base64 HMAC-SHA256(key, `${id}.${ts}.${body}`)>"
// (space-separated, several during secret rotation), key = base64 after "whsec_". Comparisons are constant-time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type VerifyResult = { ok: true } | { ok: false; reason: 'missing_headers' | 'timestamp_out_of_tolerance' | 'invalid_signature' };

export interface VerifyOptions {
  secrets: string[];
  nowMs: number;
  toleranceS: number;
}

function hmac(key: Buffer | string, content: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const part of content) h.update(part);
  return h.digest();
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Seconds (or milliseconds, if it is that large) since the epoch, within tolerance of now. */
function timestampOk(raw: string, nowMs: number, toleranceS: number): boolean {
  if (!/^\d{1,16}$/.test(raw)) return false;
  const n = Number(raw);
  const ms = n > 1e12 ? n : n * 1000;
  return Math.abs(nowMs - ms) <= toleranceS * 1000;
}

export function signAcme(secret: string, timestamp: string, body: Buffer | string): string {
  return hmac(secret, [Buffer.from(`${timestamp}.`), Buffer.from(body)]).toString('hex');
}

export function verifyAcme(headers: { signature?: string; timestamp?: string }, body: Buffer, options: VerifyOptions): VerifyResult {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) return { ok: false, reason: 'missing_headers' };
  if (!timestampOk(timestamp, options.nowMs, options.toleranceS)) return { ok: false, reason: 'timestamp_out_of_tolerance' };
  const hex = signature.replace(/^sha256=/i, '').trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return { ok: false, reason: 'invalid_signature' };
  const given = Buffer.from(hex, 'hex');
  const content = [Buffer.from(`${timestamp}.`), body];
  // Every configured secret is tried, so a rotation can overlap old and new.
  const match = options.secrets.some((secret) => safeEqual(hmac(secret, content), given));
  return match ? { ok: true } : { ok: false, reason: 'invalid_signature' };
}

function standardKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret);
}

export function signStandard(secret: string, id: string, timestamp: string, body: Buffer | string): string {
  return `v1,${hmac(standardKey(secret), [Buffer.from(`${id}.${timestamp}.`), Buffer.from(body)]).toString('base64')}`;
}

export function verifyStandard(headers: { id?: string; timestamp?: string; signature?: string }, body: Buffer, options: VerifyOptions): VerifyResult {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  if (!timestampOk(timestamp, options.nowMs, options.toleranceS)) return { ok: false, reason: 'timestamp_out_of_tolerance' };
  const given = signature
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  const content = [Buffer.from(`${id}.${timestamp}.`), body];
  const match = options.secrets.some((secret) => {
    const expected = hmac(standardKey(secret), content);
    return given.some((g) => safeEqual(expected, g));
  });
  return match ? { ok: true } : { ok: false, reason: 'invalid_signature' };
}
