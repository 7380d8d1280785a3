-- 010: what the sink needs on top of 001 (001 is applied and immutable, so this file alters it).
-- 1. Insert deduplication: a MergeTree that is not replicated ignores insert_deduplication_token unless
--    non_replicated_deduplication_window > 0. The sink inserts each batch with a token derived from its
--    crm.outcomes offset ranges; a retried batch with the same token is dropped by the table AND by every
--    materialized view below (their targets carry the same setting, deduplicate_blocks_in_dependent_materialized_views=1).
-- 2. The crm.outcomes position of each row (log_topic, log_partition, log_offset), so a restarted sink can ask
--    ClickHouse what it already holds and skip it, whatever the batch boundaries were before the crash.
ALTER TABLE {db}.outcomes MODIFY SETTING non_replicated_deduplication_window = 1000;

ALTER TABLE {db}.outcomes
    ADD COLUMN IF NOT EXISTS log_topic LowCardinality(String) DEFAULT '',
    ADD COLUMN IF NOT EXISTS log_partition Int32 DEFAULT -1,
    ADD COLUMN IF NOT EXISTS log_offset Int64 DEFAULT -1;

-- Highest crm.outcomes offset held per partition; written by the same INSERT as the rows themselves.
CREATE TABLE IF NOT EXISTS {db}.sink_positions
(
    log_topic     LowCardinality(String),
    log_partition Int32,
    log_offset    SimpleAggregateFunction(max, Int64)
)
ENGINE = AggregatingMergeTree
ORDER BY (log_topic, log_partition);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.sink_positions_mv TO {db}.sink_positions AS
SELECT log_topic, log_partition, max(log_offset) AS log_offset
FROM {db}.outcomes
WHERE log_partition >= 0
GROUP BY log_topic, log_partition;
