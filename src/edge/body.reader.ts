// Reads a request body as raw bytes with a size limit, gunzipping `Content-Encoding: gzip` (limit applies after
// decompression, so a gzip bomb is 413, not an out-of-memory). The raw bytes are what the DLQ keeps.
import { Readable } from 'node:stream';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Context } from 'hono';

const gunzipAsync = promisify(gunzip);

export type BodyResult =
  | { ok: true; raw: Buffer }
  | { ok: false; status: 400 | 413 | 415; error: string; message: string; raw: Buffer; truncated?: boolean };

export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** On @hono/node-server the Node request is read directly: web streams cost several times more per request. */
function nodeIncoming(c: Context): Readable | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return incoming instanceof Readable ? incoming : undefined;
}

async function readNode(incoming: Readable, maxBytes: number): Promise<{ raw: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) {
      incoming.destroy();
      return { raw: Buffer.concat(chunks), tooLarge: true };
    }
    chunks.push(buf);
  }
  return { raw: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), tooLarge: false };
}

async function readLimited(c: Context, maxBytes: number): Promise<{ raw: Buffer; tooLarge: boolean }> {
  const incoming = nodeIncoming(c);
  if (incoming && !incoming.readableEnded) return readNode(incoming, maxBytes);
  const stream = c.req.raw.body;
  if (!stream) return { raw: Buffer.alloc(0), tooLarge: false };
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { raw: Buffer.concat(chunks), tooLarge: true };
    }
    chunks.push(Buffer.from(value));
  }
  return { raw: Buffer.concat(chunks), tooLarge: false };
}

export async function readBody(c: Context, maxBytes: number): Promise<BodyResult> {
  const empty = Buffer.alloc(0);
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > maxBytes) return { ok: false, status: 413, error: 'payload_too_large', message: `the body exceeds ${maxBytes} bytes`, raw: empty, truncated: true };
  const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    return { ok: false, status: 415, error: 'unsupported_encoding', message: 'Content-Encoding must be gzip or absent', raw: empty };
  }
  const { raw, tooLarge } = await readLimited(c, maxBytes);
  if (tooLarge) return { ok: false, status: 413, error: 'payload_too_large', message: `the body exceeds ${maxBytes} bytes`, raw, truncated: true };
  if (encoding === 'identity') return { ok: true, raw };
  try {
    return { ok: true, raw: await gunzipAsync(raw, { maxOutputLength: maxBytes }) };
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      return { ok: false, status: 413, error: 'payload_too_large', message: `the decompressed body exceeds ${maxBytes} bytes`, raw, truncated: true };
    }
    return { ok: false, status: 400, error: 'malformed_gzip', message: 'the body is not valid gzip', raw };
  }
}

export type JsonResult = { ok: true; value: unknown } | { ok: false };

export function parseJson(raw: Buffer): JsonResult {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}
