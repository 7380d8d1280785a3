// What the edge's routes need, passed to createEdgeApp; tests build it with real clients and their own settings.
import type { ApiKeyVerifier } from '../accounts/api-keys.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../infra/logger.ts';
import type { EventPublisher } from './event.publisher.ts';
import type { IdempotencyStore } from './idempotency.store.ts';
import type { RateLimiter } from './rate-limit.middleware.ts';
import type { WebhookSources } from './webhook-sources.repository.ts';

export type EdgeSettings = Pick<
  Config,
  'EDGE_MAX_BODY_BYTES' | 'EDGE_MAX_BATCH_EVENTS' | 'EDGE_PRODUCE_TIMEOUT_MS' | 'EDGE_RATE_LIMIT_PER_S' | 'WEBHOOK_TOLERANCE_S' | 'LEAD_CAPTURE_TENANT'
>;

export interface EdgeDeps {
  logger: Logger;
  apiKeys: ApiKeyVerifier;
  publisher: EventPublisher;
  idempotency: IdempotencyStore;
  limiter: RateLimiter;
  sources: WebhookSources;
  /** Broker and registry reachable (GET /ready). */
  ready(): Promise<{ broker: boolean; registry: boolean }>;
  settings: EdgeSettings;
}
