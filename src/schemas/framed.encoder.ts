// Confluent-framed Avro (magic byte 0, 4-byte schema id, body) written straight into a shared slab: one
// Buffer.subarray per event instead of avsc's toBuffer copy plus a framing copy. A slab is never reused, so each
// message keeps its bytes until kafkajs has sent them; a full slab is simply left to the GC.
import type avro from 'avsc';
import { encode } from './avro.codec.ts';
import { avroWriterFor } from './avro.writer.ts';

const SLAB_BYTES = 64 * 1024; // ~150 CrmEvents per slab
const MIN_FREE = 1024; // below this, start a new slab rather than try and fail

export type FramedEncoder = (value: unknown) => Buffer;

export function createFramedEncoder(type: avro.Type, schemaId: number): FramedEncoder {
  let slab = Buffer.allocUnsafe(SLAB_BYTES);
  let used = 0;
  const write = avroWriterFor(type);
  const writeAt = (value: unknown, start: number): number => {
    slab[start] = 0;
    slab.writeUInt32BE(schemaId, start + 1);
    return write ? write(value, slab, start + 5) : type.encode(value, slab, start + 5); // negative: too short
  };
  return (value) => {
    if (SLAB_BYTES - used < MIN_FREE) {
      slab = Buffer.allocUnsafe(SLAB_BYTES);
      used = 0;
    }
    let start = used;
    let end = writeAt(value, start);
    if (end < 0 && start > 0) {
      // did not fit in what is left (a change record with a large entity): a fresh slab, rather than a copy of its own
      // for this record and the same failure for the next large one
      slab = Buffer.allocUnsafe(SLAB_BYTES);
      start = used = 0;
      end = writeAt(value, 0);
    }
    if (end >= 0) {
      used = end;
      return slab.subarray(start, end);
    }
    return encode(type, schemaId, value); // larger than a whole slab: its own buffer
  };
}
