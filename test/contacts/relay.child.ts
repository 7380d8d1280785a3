// A relay in its own process, for the kill test: it produces one batch, tells the parent, and hangs before
// marking the rows sent, holding its transaction open until the parent kills it with SIGKILL.
import { createOutboxRelay } from '../../src/contacts/outbox.relay.ts';
import { createKafka } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { createPostgres } from '../../src/infra/postgres.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { testConfig } from '../support/helpers.ts';

const cfg = testConfig();
const sql = createPostgres(cfg, { max: 1, applicationName: 'relay-child' });
const producer = createKafka(cfg, undefined, 'relay-child').producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const relay = createOutboxRelay(
  {
    sql,
    producer,
    registry: createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL),
    logger: createLogger(cfg),
    hooks: {
      afterSend: async (ids) => {
        process.send?.({ sent: ids });
        await new Promise(() => {}); // never marks them sent: the parent kills this process here
      },
    },
  },
  cfg,
);
await relay.drain();
