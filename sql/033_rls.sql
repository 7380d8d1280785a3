-- 033: row-level security as a second wall behind the tenant_id filter of every contacts query.
-- The contacts API's transactions switch to the non-owner role inflow_api (set_config('role', ...)) after setting
-- app.tenant_id; the policies below then hide and refuse every other tenant's rows. The table owner (the worker,
-- bulk executors, migrations) is not subject to them: RLS is enabled, not forced.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'inflow_api') then
    create role inflow_api nologin;
  end if;
end $$;
grant inflow_api to current_user;
grant usage on schema public to inflow_api;
grant select, insert, update on contacts to inflow_api;
grant select, insert on outbox to inflow_api;
grant select (id, pii_salt) on tenants to inflow_api;

alter table contacts enable row level security;
create policy contacts_tenant_isolation on contacts to inflow_api
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));

alter table outbox enable row level security;
create policy outbox_tenant_isolation on outbox to inflow_api
  using (tenant_id = current_setting('app.tenant_id', true))
  with check (tenant_id = current_setting('app.tenant_id', true));
