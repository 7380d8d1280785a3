-- 012: latency (edge receive -> applied, ms) quantile states per tenant, minute, kind and type.
-- Merge with quantilesMerge(0.5, 0.9, 0.99)(latency) over any range of minutes.
CREATE TABLE IF NOT EXISTS {db}.latency_per_minute
(
    tenant_id LowCardinality(String),
    minute    DateTime('UTC'),
    kind      LowCardinality(String),
    type      LowCardinality(String),
    latency   AggregateFunction(quantiles(0.5, 0.9, 0.99), Int64),
    n         SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (tenant_id, minute, kind, type)
TTL minute + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.latency_per_minute_mv TO {db}.latency_per_minute AS
SELECT tenant_id, toStartOfMinute(received_at) AS minute, kind, type,
       quantilesState(0.5, 0.9, 0.99)(toInt64(dateDiff('millisecond', received_at, processed_at))) AS latency,
       count() AS n
FROM {db}.outcomes
WHERE status = 'applied'
GROUP BY tenant_id, minute, kind, type;
