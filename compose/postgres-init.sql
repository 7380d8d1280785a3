-- Extensions the migrations use (created by the superuser, as `inflow up` does locally).
create extension if not exists pgcrypto;
create extension if not exists pg_trgm;
