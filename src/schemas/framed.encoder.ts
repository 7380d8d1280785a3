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
  return (value) => {
    if (SLAB_BYTES - used < MIN_FREE) {
      slab = Buffer.allocUnsafe(SLAB_BYTES);
      used = 0;
    }
    const start = used;
    slab[start] = 0;
    slab.writeUInt32BE(schemaId, start + 1);
    const end = write ? write(value, slab, start + 5) : type.encode(value, slab, start + 5); // negative: too short
    if (end >= 0) {
      used = end;
      return slab.subarray(start, end);
    }
    return encode(type, schemaId, value); // larger than what is left: its own buffer (and the slab stays)
  };
}
