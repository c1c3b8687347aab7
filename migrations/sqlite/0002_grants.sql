-- Grants as facts and as intervals. `grant_changes` keeps every statement a delivery made
-- (a webhook's "alice joined team platform", a snapshot's difference from what was open); the
-- `grants` intervals are derived from them per grant key, so a late or replayed delivery only
-- re-derives the keys it touches. A grant key is principal, resource, permission and via.

create table grant_changes (
    id integer primary key autoincrement,
    delivery_id bigint not null references deliveries (id),
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
create index grant_changes_key on grant_changes (grant_key, at_us, id);

create table grants (
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
    opened_by bigint references grant_changes (id),
    closed_by bigint references grant_changes (id)
);
create index grants_key on grants (grant_key, valid_from_us);
create index grants_scope_open on grants (scope, valid_to_us);
create index grants_principal on grants (principal_id, valid_from_us);
create index grants_resource on grants (resource_id, valid_from_us);
