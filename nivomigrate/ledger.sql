-- nivomigrate's ledger: one row per run, in each managed database.
create schema if not exists nivomigrate;

create table if not exists nivomigrate.runs (
    id                 bigserial primary key,
    kind               text not null check (kind in ('apply', 'promote', 'baseline', 'repair')),
    environment        text not null,
    from_revision      text,
    to_revision        text,
    revisions          jsonb not null default '[]',
    fingerprint_before text,
    fingerprint_after  text,
    git_commit         text,
    git_branch         text,
    git_dirty          boolean,
    actor              text not null,
    started_at         timestamptz not null default clock_timestamp(),
    finished_at        timestamptz,
    status             text not null default 'running'
                       check (status in ('running', 'passed', 'failed')),
    reason             text,
    checks             jsonb not null default '[]',
    restore_point      jsonb,
    staging_run_id     bigint,
    allow_drift        boolean not null default false,
    backend_pid        integer not null default pg_backend_pid()
);
-- HMAC-SHA256 of the run's canonical content with NIVOMIGRATE_LEDGER_KEY (nivomigrate/signing.py);
-- added to an older ledger by its next writing run (ALTER only then: it needs the table's owner).
do $$
begin
    if not exists (select from pg_attribute
                   where attrelid = 'nivomigrate.runs'::regclass and attname = 'signature') then
        alter table nivomigrate.runs add column signature text;
    end if;
end
$$;

-- One row per step of a revision not yet complete in this database: a transactional step's
-- row commits with the step; a statement outside a transaction is 'started' before it runs
-- and 'applied' after it succeeded. The rows of a revision are marked complete together with
-- its alembic_version update.
create table if not exists nivomigrate.steps (
    revision     text not null,
    step         integer not null,
    kind         text not null check (kind in ('transaction', 'statement', 'live')),
    checksum     text not null,
    sql          text not null,
    status       text not null check (status in ('started', 'applied', 'failed')),
    how          text check (how in ('executed', 'recognised')),
    run_id       bigint not null,
    attempts     integer not null default 1,
    reason       text,
    complete     boolean not null default false,
    recorded_at  timestamptz not null default clock_timestamp(),
    primary key (revision, step)
);

-- The way back (docs/rollback.md): `rollback` runs, and each revision's way-back certificate
-- made by an apply run. An existing ledger is migrated in place.
do $$
begin
    if not exists (select 1 from pg_constraint
                   where conrelid = 'nivomigrate.runs'::regclass and conname = 'runs_kind_check'
                     and pg_get_constraintdef(oid) like '%rollback%') then
        alter table nivomigrate.runs drop constraint if exists runs_kind_check;
        alter table nivomigrate.runs add constraint runs_kind_check
            check (kind in ('apply', 'promote', 'baseline', 'repair', 'rollback'));
    end if;
end $$;

create table if not exists nivomigrate.certificates (
    revision     text not null,
    run_id       bigint not null,
    environment  text not null,
    verdict      text not null check (verdict in ('proven', 'lossy', 'one-way')),
    certificate  jsonb not null,
    made_at      timestamptz not null default clock_timestamp(),
    primary key (revision, run_id)
);
