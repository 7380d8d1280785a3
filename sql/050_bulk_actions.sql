-- 050: bulk actions (issue 7, seed 004). State lives here so planning and execution survive restarts.
-- Lifecycle (like Salesforce Bulk API 2.0): queued | scheduled -> planning -> running -> completed | completed_with_errors | failed | cancelled.
create table bulk_actions (
  id                  text primary key,                 -- UUIDv7
  tenant_id           text not null references tenants(id),
  idempotency_key     text,
  entity              text not null default 'contacts' check (entity = 'contacts'),
  action              text not null check (action in ('update', 'delete', 'restore', 'tag', 'untag', 'assign_owner', 'revert')),
  target              jsonb not null,                   -- {"filter": ...} | {"ids": n} | {"csv": {"rows": n, "filename": ...}} | {"revert_of": id}
  payload             jsonb not null default '{}',
  status              text not null check (status in ('queued', 'scheduled', 'planning', 'running', 'completed', 'completed_with_errors', 'failed', 'cancelled')),
  scheduled_at        timestamptz,
  rate_limit_per_sec  integer check (rate_limit_per_sec > 0),
  reverts_id          text references bulk_actions(id),
  chunk_size          integer not null,
  total               bigint,                           -- contacts planned (known once planning is done)
  chunks_planned      integer not null default 0,
  chunks_total        integer,                          -- set when planning is done
  plan_cursor         text,                             -- keyset position: last id (filter) or last row_no (ids/csv/revert)
  planner_lease_until timestamptz,                      -- a planner that died mid-plan is replaced after this
  error               text,
  created_by          text,
  created_at          timestamptz not null default now(),
  started_at          timestamptz,
  finished_at         timestamptz,
  cancelled_at        timestamptz,
  updated_at          timestamptz not null default now()
);
create unique index bulk_actions_idempotency on bulk_actions (tenant_id, idempotency_key) where idempotency_key is not null;
create index bulk_actions_tenant_created on bulk_actions (tenant_id, created_at desc);
-- the planner's claim query: only the actions that still need a planner
create index bulk_actions_plannable on bulk_actions (status, scheduled_at) where status in ('queued', 'scheduled', 'planning');

-- An explicit target list (ids in the body or a CSV upload), kept with its input row so errors point at the row.
create table bulk_action_targets (
  bulk_action_id  text not null references bulk_actions(id) on delete cascade,
  row_no          bigint not null,
  entity_id       text not null,
  primary key (bulk_action_id, row_no)
);

-- The chunk ledger: written in the same transaction as the chunk's contact updates, so each chunk applies exactly once.
create table bulk_chunks (
  bulk_action_id  text not null references bulk_actions(id) on delete cascade,
  chunk_no        integer not null,
  tenant_id       text not null,
  status          text not null check (status in ('applied', 'cancelled')),
  attempts        integer not null,
  size            integer not null,
  succeeded       integer not null,
  failed          integer not null,
  skipped         integer not null,
  -- per contact: [id, status, reason, version, row_no]; replayed to re-emit outcomes on redelivery and to list errors
  results         jsonb not null,
  -- per changed contact: {"id", "version" (after), "before": {column: old value}}; what revert restores
  before_images   jsonb not null default '[]',
  duration_ms     integer not null,
  applied_at      timestamptz not null default now(),
  primary key (bulk_action_id, chunk_no)
);
