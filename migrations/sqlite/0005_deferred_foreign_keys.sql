-- Every foreign key is checked at commit instead of at each statement. SQLite keeps a statement
-- journal (a copy of every page a statement changes, to undo just that statement) for a
-- multi-row insert into a table with an immediate foreign key; imports write such inserts all
-- the time, and the journal was a fifth of their writing time. Rows are as checked either way:
-- a violation fails the commit.
--
-- SQLite cannot alter a constraint, so each table is rebuilt and renamed into place. The
-- migration runs in a transaction with foreign keys on, so the order matters: a child table is
-- rebuilt pointing at its parent's new table and the old child is dropped before the old
-- parent, whose drop would otherwise cascade into it; renaming the new parent then renames the
-- references to it. AUTOINCREMENT counters are carried over, so no id is ever handed out twice.

create temporary table kept_sequences as select name, seq from sqlite_sequence;

create table events_rebuilt (
    id integer primary key autoincrement,
    delivery_id bigint not null references deliveries (id) deferrable initially deferred,
    source text not null,
    source_event_id text not null,
    occurred_at_us bigint not null,
    received_at_us bigint not null,
    actor_id text,
    actor_name text not null,
    actor_kind text not null,
    actor_ip text,
    actor_user_agent text,
    action text not null,
    native_action text not null,
    scope_kind text,
    scope_id text,
    scope_name text,
    outcome text not null,
    error text,
    summary text not null,
    targets text not null,
    details text not null,
    search_text text not null,
    constraint events_source_event unique (source, source_event_id)
);
insert into events_rebuilt select id, delivery_id, source, source_event_id, occurred_at_us,
    received_at_us, actor_id, actor_name, actor_kind, actor_ip, actor_user_agent, action,
    native_action, scope_kind, scope_id, scope_name, outcome, error, summary, targets, details,
    search_text from events;

create table event_targets_rebuilt (
    event_id bigint not null references events_rebuilt (id) on delete cascade
        deferrable initially deferred,
    position bigint not null,
    kind text not null,
    target_id text,
    name text not null,
    primary key (event_id, position)
);
insert into event_targets_rebuilt select event_id, position, kind, target_id, name
    from event_targets;

drop table event_targets;
drop table events;
alter table events_rebuilt rename to events;
create index events_time on events (occurred_at_us, id);
create index events_actor_name_time on events (actor_name, occurred_at_us, id);
create index events_actor_id_time on events (actor_id, occurred_at_us, id);
create index events_action_time on events (action, occurred_at_us, id);
create index events_source_time on events (source, occurred_at_us, id);
create index events_delivery on events (delivery_id);
alter table event_targets_rebuilt rename to event_targets;
create index event_targets_name on event_targets (name, event_id);
create index event_targets_id on event_targets (target_id, event_id);

create table grant_changes_rebuilt (
    id integer primary key autoincrement,
    delivery_id bigint not null references deliveries (id) deferrable initially deferred,
    position bigint not null,
    grant_key text not null,
    at_us bigint not null,
    scope text not null,
    principal_kind text not null,
    principal_id text not null,
    principal_name text not null,
    resource_kind text not null,
    resource_id text not null,
    resource_name text not null,
    permission text not null,
    via text not null,
    op text not null,
    evidence text not null,
    constraint grant_changes_delivery_position unique (delivery_id, position)
);
insert into grant_changes_rebuilt select id, delivery_id, position, grant_key, at_us, scope,
    principal_kind, principal_id, principal_name, resource_kind, resource_id, resource_name,
    permission, via, op, evidence from grant_changes;

create table grants_rebuilt (
    id integer primary key autoincrement,
    grant_key text not null,
    scope text not null,
    principal_kind text not null,
    principal_id text not null,
    principal_name text not null,
    resource_kind text not null,
    resource_id text not null,
    resource_name text not null,
    permission text not null,
    via text not null,
    -- Null: held since before Attest's records (the first fact seen was its removal).
    valid_from_us bigint,
    -- Null: still held.
    valid_to_us bigint,
    opened_by bigint references grant_changes_rebuilt (id) deferrable initially deferred,
    closed_by bigint references grant_changes_rebuilt (id) deferrable initially deferred
);
insert into grants_rebuilt select id, grant_key, scope, principal_kind, principal_id,
    principal_name, resource_kind, resource_id, resource_name, permission, via, valid_from_us,
    valid_to_us, opened_by, closed_by from grants;

drop table grants;
drop table grant_changes;
alter table grant_changes_rebuilt rename to grant_changes;
create index grant_changes_key on grant_changes (grant_key, at_us, id);
alter table grants_rebuilt rename to grants;
create index grants_key on grants (grant_key, valid_from_us);
create index grants_scope_open on grants (scope, valid_to_us);
create index grants_principal on grants (principal_id, valid_from_us);
create index grants_resource on grants (resource_id, valid_from_us);

create table people_rebuilt (
    email text primary key,
    name text not null,
    manager_email text,
    department text,
    delivery_id bigint not null references deliveries (id) deferrable initially deferred,
    updated_at_us bigint not null
);
insert into people_rebuilt select email, name, manager_email, department, delivery_id,
    updated_at_us from people;

create table person_accounts_rebuilt (
    source text not null,
    account_id text not null,
    email text not null references people_rebuilt (email) deferrable initially deferred,
    delivery_id bigint not null references deliveries (id) deferrable initially deferred,
    primary key (source, account_id)
);
insert into person_accounts_rebuilt select source, account_id, email, delivery_id
    from person_accounts;

drop table person_accounts;
drop table people;
alter table people_rebuilt rename to people;
create index people_manager on people (manager_email);
alter table person_accounts_rebuilt rename to person_accounts;
create index person_accounts_email on person_accounts (email);

-- A dropped table takes its counter along; the rebuilt one starts from its largest id.
delete from sqlite_sequence where name in (select name from kept_sequences);
insert into sqlite_sequence (name, seq) select name, seq from kept_sequences;
drop table kept_sequences;
