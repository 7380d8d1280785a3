// Avro in the Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro binary body.
// Decoding resolves the writer's schema (looked up by id) to the reader's, so v1 and v2 events decode alike.
import avro from 'avsc';
import { avroWriterFor } from './avro.writer.ts';
import type { SchemaRegistry } from './registry.client.ts';

const MAGIC = 0;

export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

export function parseSchema(schema: object | string): avro.Type {
  return avro.Type.forSchema(typeof schema === 'string' ? JSON.parse(schema) : schema, { wrapUnions: 'auto' } as avro.ForSchemaOptions);
}

/** Frames an Avro body with the registry id. Validation errors name the field paths. */
// avsc's toBuffer() writes into a 1 KB buffer of its own, then zero-fills a new ArrayBuffer per record (Buffer.alloc,
// never pooled) and copies; a record over 1 KB (a change carries the whole entity) is written twice. Writing into one
// scratch buffer with the frame's 5 bytes already in place and copying the result out once (allocUnsafe: pooled under
// 4 KB) did the same work for a fraction of the worker's CPU (bench/pipeline/README.md).
let scratch = Buffer.allocUnsafe(64 * 1024);

export function encode(type: avro.Type, schemaId: number, value: unknown): Buffer {
  const write = avroWriterFor(type); // compiled for the type when it can be (src/schemas/avro.writer.ts), else avsc
  for (;;) {
    const end = write ? write(value, scratch, 5) : type.encode(value, scratch, 5);
    if (end > 0) {
      const out = Buffer.allocUnsafe(end);
      scratch.copy(out, 5, 5, end);
      out.writeUInt8(MAGIC, 0);
      out.writeUInt32BE(schemaId, 1);
      return out;
    }
    // too small: avsc answers minus the bytes missing, the compiled writer -1 (either throws on an invalid value)
    scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
  }
}

export function readSchemaId(buf: Buffer): number {
  if (buf.length < 5 || buf.readUInt8(0) !== MAGIC) throw new WireFormatError('not Confluent wire format (magic byte 0 + schema id)');
  return buf.readUInt32BE(1);
}

/** Paths of the fields that make a value invalid for a type, e.g. ["lead.email", "occurred_at"]. */
export function invalidPaths(type: avro.Type, value: unknown): string[] {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (p: string[]) => paths.push(p.join('.')) });
  return paths;
}

export interface Decoder {
  decode<T = unknown>(buf: Buffer): Promise<{ schemaId: number; value: T }>;
}

/** A decoder to one reader type; resolvers per writer schema id are built once and cached. */
export function createDecoder(registry: SchemaRegistry, reader: avro.Type): Decoder {
  const resolvers = new Map<number, Promise<avro.Resolver | null>>();
  const resolverFor = (id: number) => {
    let r = resolvers.get(id);
    if (!r) {
      r = registry.schemaById(id).then((text) => {
        const writer = parseSchema(text);
        return writer.equals(reader) ? null : reader.createResolver(writer);
      });
      r.catch(() => resolvers.delete(id));
      resolvers.set(id, r);
    }
    return r;
  };
  return {
    async decode<T>(buf: Buffer) {
      const schemaId = readSchemaId(buf);
      const resolver = await resolverFor(schemaId);
      const body = buf.subarray(5);
      const value = (resolver ? reader.fromBuffer(body, resolver, true) : reader.fromBuffer(body)) as T;
      return { schemaId, value };
    },
  };
}
