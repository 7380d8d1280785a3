// The Avro schemas in redpanda/schemas, and their registration under <topic>-value subjects.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type avro from 'avsc';
import { PROJECT_ROOT } from '../config.ts';
import { loadTopicDefinitions, topicName } from '../infra/kafka.ts';
import { parseSchema } from './avro.codec.ts';
import type { SchemaRegistry } from './registry.client.ts';

export const SCHEMA_DIR = path.join(PROJECT_ROOT, 'redpanda', 'schemas');

export type SchemaName = 'crm-event' | 'outcome' | 'change' | 'bulk-chunk';

export function readSchema(name: SchemaName | string): object {
  return JSON.parse(readFileSync(path.join(SCHEMA_DIR, name.endsWith('.avsc') ? name : `${name}.avsc`), 'utf8')) as object;
}

export function schemaType(name: SchemaName): avro.Type {
  return parseSchema(readSchema(name));
}

export function subjectFor(topic: string): string {
  return `${topic}-value`;
}

/** Registers every topic's value schema; returns subject -> id. Idempotent: a known schema keeps its id. */
export async function registerSchemas(registry: SchemaRegistry, prefix = ''): Promise<Record<string, number>> {
  const ids: Record<string, number> = {};
  for (const topic of loadTopicDefinitions()) {
    if (!topic.value_schema) continue;
    const subject = subjectFor(topicName({ KAFKA_TOPIC_PREFIX: prefix }, topic.name));
    ids[subject] = await registry.register(subject, readSchema(topic.value_schema));
  }
  return ids;
}
