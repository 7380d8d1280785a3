-- 011: per-minute outcome counts by tenant, kind, status, type and source (dashboards, throughput).
-- SummingMergeTree: rows with the same key add up at merge time; read with sum(n) ... GROUP BY.
-- Exact for sink retries (the dedup token drops a retried block here too); an outcome re-emitted upstream at a
-- new offset in a later batch is counted again here, while the outcomes table (FINAL) keeps one row: see docs/analytics.md.
CREATE TABLE IF NOT EXISTS {db}.outcomes_per_minute
(
    tenant_id LowCardinality(String),
    minute    DateTime('UTC'),
    kind      LowCardinality(String),
    status    LowCardinality(String),
    type      LowCardinality(String),
    source    LowCardinality(String),
    n         UInt64
)
ENGINE = SummingMergeTree(n)
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant_id, minute, kind, status, type, source)
TTL minute + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.outcomes_per_minute_mv TO {db}.outcomes_per_minute AS
SELECT tenant_id, toStartOfMinute(received_at) AS minute, kind, status, type, source, count() AS n
FROM {db}.outcomes
GROUP BY tenant_id, minute, kind, status, type, source;
