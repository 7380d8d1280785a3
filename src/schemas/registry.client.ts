// A client for the Confluent Schema Registry API (Redpanda's built-in registry, Confluent's, Apicurio's ccompat).
import { DependencyUnavailableError, InflowError } from '../infra/errors.ts';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export interface SchemaRegistry {
  /** Registers (or finds) a schema under a subject; returns its global id. */
  register(subject: string, schema: object): Promise<number>;
  /** The schema text for an id; cached forever (ids are immutable). */
  schemaById(id: number): Promise<string>;
  /** The latest id and schema under a subject. */
  latest(subject: string): Promise<{ id: number; version: number; schema: string }>;
  ping(): Promise<boolean>;
}

export class RegistryError extends InflowError {
  constructor(message: string, readonly status: number) {
    super(message, { retriable: status >= 500 });
  }
}

export function createSchemaRegistry(baseUrl: string, { timeoutMs = 5000 } = {}): SchemaRegistry {
  const base = baseUrl.replace(/\/$/, '');
  const byId = new Map<number, Promise<string>>();

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new DependencyUnavailableError('schema-registry', `${method} ${path} failed`, err);
    }
    const text = await res.text();
    if (!res.ok) throw new RegistryError(`schema-registry ${method} ${path}: ${res.status} ${text.slice(0, 500)}`, res.status);
    return JSON.parse(text) as T;
  }

  return {
    async register(subject, schema) {
      const { id } = await call<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
        schema: JSON.stringify(schema),
        schemaType: 'AVRO',
      });
      return id;
    },
    schemaById(id) {
      let cached = byId.get(id);
      if (!cached) {
        cached = call<{ schema: string }>('GET', `/schemas/ids/${id}`).then((r) => r.schema);
        cached.catch(() => byId.delete(id)); // a failed lookup is retried next time
        byId.set(id, cached);
      }
      return cached;
    },
    latest(subject) {
      return call('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`);
    },
    async ping() {
      try {
        await call('GET', '/subjects');
        return true;
      } catch {
        return false;
      }
    },
  };
}
