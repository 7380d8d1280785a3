-- 001: one row per processing outcome (event, API write, bulk item), streamed from crm.outcomes.
-- ReplacingMergeTree on the sorting key (tenant_id, day of received_at, outcome_id): a re-emitted outcome
-- carries the same outcome_id and received_at, so it collapses into the original; queries that must be exact
-- read with FINAL (or GROUP BY outcome_id) until background merges catch up.
CREATE TABLE IF NOT EXISTS {db}.outcomes
(
    outcome_id      String,
    event_id        Nullable(String),
    tenant_id       LowCardinality(String),
    kind            LowCardinality(String),   -- event | bulk | api
    type            LowCardinality(String),
    source          LowCardinality(String),
    status          LowCardinality(String),   -- applied | duplicate | stale | rejected | failed | succeeded | skipped
    reason          Nullable(String),
    entity_type     LowCardinality(Nullable(String)),
    entity_id       Nullable(String),
    entity_version  Nullable(Int64),
    bulk_action_id  Nullable(String),
    topic           LowCardinality(Nullable(String)),
    partition       Nullable(Int32),
    offset          Nullable(Int64),
    received_at     DateTime64(3, 'UTC'),
    processed_at    DateTime64(3, 'UTC'),
    latency_ms      Int64 MATERIALIZED toInt64(dateDiff('millisecond', received_at, processed_at)),
    attempt         UInt16,
    trace_id        Nullable(String),
    utm_source      LowCardinality(Nullable(String)),
    email_hash      Nullable(String),         -- sha256(tenant salt || email); never the clear value
    phone_hash      Nullable(String),
    inserted_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(received_at)
ORDER BY (tenant_id, toDate(received_at), outcome_id)
TTL toDateTime(received_at) + INTERVAL 400 DAY;
