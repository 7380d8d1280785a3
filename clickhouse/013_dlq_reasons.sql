-- 013: outcomes that ended in the DLQ (rejected or failed), per tenant, minute, reason, type and source.
CREATE TABLE IF NOT EXISTS {db}.dlq_reasons_per_minute
(
    tenant_id LowCardinality(String),
    minute    DateTime('UTC'),
    status    LowCardinality(String),
    reason    String,
    type      LowCardinality(String),
    source    LowCardinality(String),
    n         UInt64
)
ENGINE = SummingMergeTree(n)
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant_id, minute, status, reason, type, source)
TTL minute + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.dlq_reasons_per_minute_mv TO {db}.dlq_reasons_per_minute AS
SELECT tenant_id, toStartOfMinute(received_at) AS minute, status, ifNull(reason, '') AS reason, type, source, count() AS n
FROM {db}.outcomes
WHERE status IN ('rejected', 'failed')
GROUP BY tenant_id, minute, status, reason, type, source;
