-- Access reviews (domain/src/review.rs). A campaign is a definition that recurs; each launch is
-- a round with its population frozen into review_items (the grant's columns copied, so later
-- imports never change what was reviewed). Everything that happens to an item is appended to
-- review_log, and the ledger records each round (with a hash of its frozen population) and
-- each log row: the item columns are only the latest state of that log.

create table campaigns (
    id integer primary key autoincrement,
    name text not null,
    -- The definition as JSON (review::CampaignDefinition).
    definition text not null,
    created_by text not null,
    created_at_us bigint not null,
    -- When the scheduler launches it next; null: nothing planned.
    next_launch_at_us bigint
);
create index campaigns_next_launch on campaigns (next_launch_at_us);

create table review_rounds (
    id integer primary key autoincrement,
    campaign_id bigint not null references campaigns (id),
    name text not null,
    -- The definition as launched: editing the campaign later does not change a round.
    definition text not null,
    -- The launch slot: a recurring campaign is launched once per slot, whoever asks.
    planned_for_us bigint not null,
    launched_at_us bigint not null,
    launched_by text not null,
    stage bigint not null,
    stage_due_at_us bigint not null,
    -- open or closed.
    status text not null,
    closed_at_us bigint,
    population bigint not null,
    population_hash text not null,
    constraint review_rounds_slot unique (campaign_id, planned_for_us)
);
create index review_rounds_status on review_rounds (status, stage_due_at_us);

create table review_items (
    id integer primary key autoincrement,
    round_id bigint not null references review_rounds (id),
    -- launch (the frozen population) or regression (a revoked grant that came back).
    origin text not null,
    -- The grant interval as it was at launch. Intervals are derived again when late facts
    -- arrive, so the id may go: later checks find the grant by its key, held at frozen_at_us.
    grant_id bigint not null,
    grant_key text not null,
    frozen_at_us bigint not null,
    scope text not null,
    principal_kind text not null,
    principal_id text not null,
    principal_name text not null,
    resource_kind text not null,
    resource_id text not null,
    resource_name text not null,
    permission text not null,
    via text not null,
    granted_at_us bigint,
    granted_how text not null,
    privileged bigint not null,
    holder_email text,
    holder_name text,
    holder_department text,
    holder_manager text,
    last_used_at_us bigint,
    last_used_event_id bigint,
    usage_what text not null,
    usage_on_resource bigint not null,
    logs_since_us bigint,
    recommendation text not null,
    recommendation_reason text not null,
    -- The latest state, from review_log.
    stage bigint not null,
    reviewer text,
    reviewer_rule text not null,
    due_at_us bigint not null,
    decision text,
    justification text not null default '',
    decided_by text,
    decided_at_us bigint,
    -- keep or revoke once the item is closed.
    outcome text,
    -- open, verified, failed or regressed once a revoke is to be carried out.
    remediation text,
    remediation_note text not null default '',
    remediation_at_us bigint
);
create index review_items_reviewer on review_items (reviewer, outcome, due_at_us);
create index review_items_round on review_items (round_id, id);
create index review_items_remediation on review_items (remediation, grant_key);

create table review_log (
    id integer primary key autoincrement,
    item_id bigint not null references review_items (id),
    at_us bigint not null,
    actor text not null,
    -- decision, default, guard, delegate, advance, remediation, verified, failed, regressed.
    kind text not null,
    stage bigint not null,
    decision text,
    comment text not null
);
create index review_log_item on review_log (item_id, id);

-- Who owns what: rules from an owners file (origin `owners`) or a repository's CODEOWNERS
-- (origin `codeowners:org/name`). An import replaces the rules of its origin.
create table resource_owners (
    id integer primary key autoincrement,
    origin text not null,
    position bigint not null,
    pattern text not null,
    -- Space-separated: e-mails, github:login and team:org/slug.
    owners text not null,
    note text not null,
    imported_at_us bigint not null,
    imported_by text not null
);
create index resource_owners_origin on resource_owners (origin, position);
