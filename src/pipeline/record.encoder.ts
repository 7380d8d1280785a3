// The outcome and change records in the bytes they are produced as (Confluent framing, Avro body). The applier encodes
// them before its transaction so processed_events can keep exactly those bytes: a redelivery re-emits the original
// records byte for byte, and the hot path stores compact binary instead of JSON it would have to escape and parse.
import { createFramedEncoder, type FramedEncoder } from '../schemas/framed.encoder.ts';
import type { SchemaRegistry } from '../schemas/registry.client.ts';
import { readSchema, schemaType, subjectFor } from '../schemas/schema-files.ts';
import type { Change, Outcome } from './event.types.ts';

export interface EncodedRecords {
  outcome: Buffer;
  changes: Buffer[];
}

export interface RecordEncoder {
  /** Registers (idempotently) the schemas of the two topics; call before encode. Retriable. */
  ready(): Promise<void>;
  encode(outcome: Outcome, changes: Change[]): EncodedRecords;
  decodeOutcome(framed: Buffer): Outcome;
  decodeChange(framed: Buffer): Change;
}

const outcomeType = schemaType('outcome');
const changeType = schemaType('change');

// the bytes were written by this code's own schemas: the body decodes with them, whatever id the frame carries
export const decodeOutcomeRecord = (framed: Buffer): Outcome => outcomeType.fromBuffer(framed.subarray(5)) as Outcome;
export const decodeChangeRecord = (framed: Buffer): Change => changeType.fromBuffer(framed.subarray(5)) as Change;

export function createRecordEncoder(deps: { registry: SchemaRegistry }, topics: { outcomes: string; changes: string }): RecordEncoder {
  // slab encoders (src/schemas/framed.encoder.ts): a record is a view into a shared 64 KB buffer, not a pooled
  // allocation plus a copy per record
  let encoders: { outcome: FramedEncoder; change: FramedEncoder } | undefined;
  let pending: Promise<void> | undefined;
  return {
    ready() {
      if (encoders) return Promise.resolve();
      // register is idempotent: it returns the id of exactly the schema this code encodes with
      pending ??= Promise.all([
        deps.registry.register(subjectFor(topics.outcomes), readSchema('outcome')),
        deps.registry.register(subjectFor(topics.changes), readSchema('change')),
      ]).then(([outcome, change]) => void (encoders = { outcome: createFramedEncoder(outcomeType, outcome), change: createFramedEncoder(changeType, change) }));
      pending.catch(() => (pending = undefined));
      return pending;
    },
    encode(outcome, changes) {
      if (!encoders) throw new Error('record encoder used before ready()');
      const { outcome: o, change: c } = encoders;
      return { outcome: o(outcome), changes: changes.map((ch) => c(ch)) };
    },
    decodeOutcome: decodeOutcomeRecord,
    decodeChange: decodeChangeRecord,
  };
}

/** Several framed records in one column: each as a 4-byte big-endian length and the bytes. */
export function packRecords(records: Buffer[]): Buffer {
  const out = Buffer.allocUnsafe(records.reduce((n, r) => n + 4 + r.length, 0));
  let at = 0;
  for (const r of records) {
    out.writeUInt32BE(r.length, at);
    r.copy(out, at + 4);
    at += 4 + r.length;
  }
  return out;
}

export function unpackRecords(packed: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < packed.length; ) {
    const n = packed.readUInt32BE(at);
    out.push(packed.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}
