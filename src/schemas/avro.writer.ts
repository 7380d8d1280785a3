// A writer compiled for one Avro schema: the whole record as one generated function, every field written inline.
// Why: avsc writes a record through one `_write` call per field, and each optional field ("null" | T, 27 in a lead)
// through a union that dispatches to its branch's `_write` at a call site shared by every union in the process, so
// V8 cannot inline any of it. In the edge's batched profile avsc was ~28 % of the CPU (bench/edge/README.md).
// Byte-identical to avsc (src/schemas/avro.writer.test.ts), and it throws where avsc throws. Schemas it does not cover
// (logical types with a JS mapping, unions other than null + one type, fixed, recursive records) compile to
// undefined and the caller keeps avsc.
import type avro from 'avsc';

/**
 * Writes `value` at `pos`; returns the end position, or -1 when the buffer may be too short (the checks reserve a
 * varint's 10 bytes before each length or number, so -1 can come up to 10 bytes early). Nothing past the end is written.
 */
export type AvroWriter = (value: unknown, buf: Buffer, pos: number) => number;

class Unsupported extends Error {}
type NodeBuffer = Buffer & { utf8Write(s: string, offset: number, length: number): number };

/** Zigzag varint as avsc writes it: integer arithmetic under 2^30, float arithmetic above (up to 2^53). */
function writeLong(buf: Buffer, pos: number, n: number): number {
  if (n >= -1073741824 && n < 1073741824) {
    let m = n >= 0 ? n << 1 : (~n << 1) | 1;
    while (m > 0x7f) {
      buf[pos++] = (m & 0x7f) | 0x80;
      m >>>= 7;
    }
    buf[pos++] = m;
    return pos;
  }
  let f = n >= 0 ? n * 2 : -n * 2 - 1;
  while (f >= 128) {
    buf[pos++] = (f & 0x7f) | 0x80;
    f /= 128;
  }
  buf[pos++] = f & 0x7f;
  return pos;
}

/** Length-prefixed UTF-8; -1 when it does not fit. ASCII under 64 characters (most CRM fields) in one pass. */
function writeString(buf: Buffer, pos: number, s: string): number {
  const n = s.length;
  if (n < 64 && pos + 1 + n <= buf.length) {
    let p = pos + 1;
    let j = 0;
    for (; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c >= 0x80) break;
      buf[p++] = c;
    }
    if (j === n) {
      buf[pos] = n << 1; // the zigzag varint of a length under 64 is one byte
      return p;
    }
  }
  const len = Buffer.byteLength(s);
  if (pos + 10 + len > buf.length) return -1;
  pos = writeLong(buf, pos, len);
  (buf as NodeBuffer).utf8Write(s, pos, len); // Node's own, without Buffer#write's argument juggling
  return pos + len;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer): number {
  if (pos + 10 + b.length > buf.length) return -1;
  pos = writeLong(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

function invalid(path: string, value: unknown): never {
  throw new Error(`invalid value at ${path || 'root'}: ${JSON.stringify(value) ?? String(value)}`);
}

// avsc's own bound (one short of Number.MAX_SAFE_INTEGER)
const isSafeLong = (n: number) => n % 1 === 0 && n >= -9007199254740990 && n <= 9007199254740990;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Compiles a writer for an avsc type built with wrapUnions 'auto' (see parseSchema), or undefined when unsupported. */
export function compileAvroWriter(type: avro.Type): AvroWriter | undefined {
  const constants: unknown[] = [];
  const constant = (v: unknown) => {
    constants.push(v);
    return `k${constants.length - 1}`;
  };
  let vars = 0;
  const fresh = () => `v${++vars}`;
  const records = new Set<avro.Type>(); // recursion guard

  // Code that writes the JS value in variable `v` (of `t`) at `p`; on overflow it returns -1 from the writer.
  function emit(t: avro.Type, v: string, path: string): string {
    const pathLit = JSON.stringify(path);
    const room = (n: number | string) => `if (p + ${n} > b.length) return -1;\n`;
    switch (t.typeName) {
      case 'null':
        return `if (${v} !== null) invalid(${pathLit}, ${v});\n`;
      case 'boolean':
        return `if (typeof ${v} !== 'boolean') invalid(${pathLit}, ${v});\n${room(1)}b[p++] = ${v} ? 1 : 0;\n`;
      case 'int':
        return `if (${v} !== (${v} | 0)) invalid(${pathLit}, ${v});\n${room(5)}p = writeLong(b, p, ${v});\n`;
      case 'long':
        return `if (typeof ${v} !== 'number' || !isSafeLong(${v})) invalid(${pathLit}, ${v});\n${room(10)}p = writeLong(b, p, ${v});\n`;
      case 'float':
        return `if (typeof ${v} !== 'number') invalid(${pathLit}, ${v});\n${room(4)}b.writeFloatLE(${v}, p); p += 4;\n`;
      case 'double':
        return `if (typeof ${v} !== 'number') invalid(${pathLit}, ${v});\n${room(8)}b.writeDoubleLE(${v}, p); p += 8;\n`;
      case 'string':
        // a Buffer of UTF-8 is taken as the string's bytes (an entity's JSON straight from Postgres, never decoded)
        return `if (typeof ${v} === 'string') p = writeString(b, p, ${v}); else if (Buffer.isBuffer(${v})) p = writeBytes(b, p, ${v}); else invalid(${pathLit}, ${v});\nif (p < 0) return -1;\n`;
      case 'bytes':
        return `if (!Buffer.isBuffer(${v})) invalid(${pathLit}, ${v});\np = writeBytes(b, p, ${v}); if (p < 0) return -1;\n`;
      case 'enum': {
        const indices = constant(Object.fromEntries((t as avro.types.EnumType).symbols.map((s, i) => [s, i])));
        const i = fresh();
        return `var ${i} = typeof ${v} === 'string' && Object.hasOwn(${indices}, ${v}) ? ${indices}[${v}] : invalid(${pathLit}, ${v});\n${room(10)}p = writeLong(b, p, ${i});\n`;
      }
      case 'array': {
        const items = (t as avro.types.ArrayType).itemsType;
        const [n, i, item] = [fresh(), fresh(), fresh()];
        return (
          `if (!Array.isArray(${v})) invalid(${pathLit}, ${v});\nvar ${n} = ${v}.length;\n` +
          `if (${n}) {\n${room(10)}p = writeLong(b, p, ${n});\nfor (var ${i} = 0; ${i} < ${n}; ${i}++) {\nvar ${item} = ${v}[${i}];\n${emit(items, item, `${path}[]`)}}\n}\n` +
          `${room(1)}b[p++] = 0;\n`
        );
      }
      case 'map': {
        const values = (t as avro.types.MapType).valuesType;
        const [keys, n, i, key, val] = [fresh(), fresh(), fresh(), fresh(), fresh()];
        return (
          `if (!${v} || typeof ${v} !== 'object' || Array.isArray(${v})) invalid(${pathLit}, ${v});\n` +
          `var ${keys} = Object.keys(${v}), ${n} = ${keys}.length;\n` +
          `if (${n}) {\n${room(10)}p = writeLong(b, p, ${n});\nfor (var ${i} = 0; ${i} < ${n}; ${i}++) {\n` +
          `var ${key} = ${keys}[${i}], ${val} = ${v}[${key}];\np = writeString(b, p, ${key}); if (p < 0) return -1;\n${emit(values, val, `${path}{}`)}}\n}\n` +
          `${room(1)}b[p++] = 0;\n`
        );
      }
      case 'record':
      case 'error': {
        if (records.has(t)) throw new Unsupported('recursive record');
        records.add(t);
        let code = `if (!${v} || typeof ${v} !== 'object') invalid(${pathLit}, ${v});\n`;
        for (const field of (t as avro.types.RecordType).fields) {
          if (!IDENT.test(field.name)) throw new Unsupported(`field name ${field.name}`);
          const f = fresh();
          const fieldPath = path ? `${path}.${field.name}` : field.name;
          code += `var ${f} = ${v}.${field.name};\n`;
          const dflt = field.defaultValue() as unknown;
          if (dflt === undefined) code += emit(field.type, f, fieldPath);
          else {
            // avsc writes a field's default when the value leaves it undefined
            const bytes = constant(field.type.toBuffer(dflt));
            code += `if (${f} === undefined) {\n${room(`${bytes}.length`)}${bytes}.copy(b, p); p += ${bytes}.length;\n} else {\n${emit(field.type, f, fieldPath)}}\n`;
          }
        }
        records.delete(t);
        return code;
      }
      case 'union:unwrapped': {
        const branches = (t as avro.types.UnwrappedUnionType).types;
        const nullAt = branches.findIndex((b) => b.typeName === 'null');
        if (branches.length !== 2 || nullAt < 0) throw new Unsupported('a union other than null + one type');
        const other = branches[1 - nullAt]!;
        return (
          `if (${v} === null) {\n${room(1)}b[p++] = ${nullAt * 2};\n} else {\n${room(1)}b[p++] = ${(1 - nullAt) * 2};\n` +
          `${emit(other, v, path)}}\n`
        );
      }
      default:
        throw new Unsupported(t.typeName); // logical types, fixed, wrapped unions
    }
  }

  let body: string;
  try {
    body = `var v0 = value;\n${emit(type, 'v0', '')}return p;\n`;
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  const names = constants.map((_, i) => `k${i}`);
  const factory = new Function('writeLong', 'writeString', 'writeBytes', 'invalid', 'isSafeLong', ...names, `return function write(value, b, p) {\n${body}};`);
  return factory(writeLong, writeString, writeBytes, invalid, isSafeLong, ...constants) as AvroWriter;
}

const compiled = new WeakMap<avro.Type, AvroWriter | null>();

/** The compiled writer of a type (built once), or undefined when avsc must write it. */
export function avroWriterFor(type: avro.Type): AvroWriter | undefined {
  let w = compiled.get(type);
  if (w === undefined) {
    w = compileAvroWriter(type) ?? null;
    compiled.set(type, w);
  }
  return w ?? undefined;
}
