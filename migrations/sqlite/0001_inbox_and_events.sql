-- The inbox (raw deliveries, kept forever), the normalized events, and API tokens.
-- Times are integer microseconds since the Unix epoch (UTC) in both engines, so the same
-- SQL text serves SQLite and Postgres and keyset cursors compare plain integers.

create table deliveries (
    id integer primary key autoincrement,
    source text not null,
    delivery_key text not null,
    kind text,
    received_at_us bigint not null,
    headers text not null,
    body blob not null,
    body_sha256 text not null,
    status text not null default 'pending',
    error text,
    event_count bigint not null default 0,
    constraint deliveries_source_key unique (source, delivery_key)
);
create index deliveries_status on deliveries (status, id);
create index deliveries_source_received on deliveries (source, received_at_us);

create table events (
    id integer primary key autoincrement,
    delivery_id bigint not null references deliveries (id),
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
create index events_time on events (occurred_at_us, id);
create index events_actor_name_time on events (actor_name, occurred_at_us, id);
create index events_actor_id_time on events (actor_id, occurred_at_us, id);
create index events_action_time on events (action, occurred_at_us, id);
create index events_source_time on events (source, occurred_at_us, id);
create index events_delivery on events (delivery_id);

create table event_targets (
    event_id bigint not null references events (id) on delete cascade,
    position bigint not null,
    kind text not null,
    target_id text,
    name text not null,
    primary key (event_id, position)
);
create index event_targets_name on event_targets (name, event_id);
create index event_targets_id on event_targets (target_id, event_id);

create table api_tokens (
    id integer primary key autoincrement,
    name text not null,
    role text not null,
    token_hash text not null,
    created_at_us bigint not null,
    last_used_at_us bigint,
    revoked_at_us bigint,
    constraint api_tokens_name unique (name),
    constraint api_tokens_hash unique (token_hash)
);
