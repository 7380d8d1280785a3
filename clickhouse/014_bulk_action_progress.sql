-- 014: per-bulk-action progress: items per status, first and last processing time (bulk stats endpoints).
CREATE TABLE IF NOT EXISTS {db}.bulk_action_progress
(
    tenant_id      LowCardinality(String),
    bulk_action_id String,
    status         LowCardinality(String),
    n              SimpleAggregateFunction(sum, UInt64),
    first_at       SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_at        SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant_id, bulk_action_id, status)
TTL toDateTime(last_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.bulk_action_progress_mv TO {db}.bulk_action_progress AS
SELECT tenant_id, assumeNotNull(bulk_action_id) AS bulk_action_id, status,
       count() AS n, min(processed_at) AS first_at, max(processed_at) AS last_at
FROM {db}.outcomes
WHERE kind = 'bulk' AND bulk_action_id != ''
GROUP BY tenant_id, bulk_action_id, status;
