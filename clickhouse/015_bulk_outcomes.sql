-- 015: the bulk items of outcomes, ordered for the bulk-action log pages (GET /bulk-actions/{id}/logs pages by
-- entity_id within one action). Same rows as outcomes WHERE kind = 'bulk', so a page reads one action's range
-- instead of the tenant's whole history. ReplacingMergeTree on outcome_id: read with FINAL, like outcomes.
CREATE TABLE IF NOT EXISTS {db}.bulk_outcomes
(
    tenant_id      LowCardinality(String),
    bulk_action_id String,
    entity_id      String,
    outcome_id     String,
    status         LowCardinality(String),
    reason         Nullable(String),
    entity_version Nullable(Int64),
    attempt        UInt16,
    processed_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (tenant_id, bulk_action_id, entity_id, outcome_id)
TTL toDateTime(processed_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.bulk_outcomes_mv TO {db}.bulk_outcomes AS
SELECT tenant_id, assumeNotNull(bulk_action_id) AS bulk_action_id, ifNull(entity_id, '') AS entity_id, outcome_id,
       status, reason, entity_version, attempt, processed_at
FROM {db}.outcomes
WHERE kind = 'bulk' AND bulk_action_id != '';
