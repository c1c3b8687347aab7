-- Who is who, decided by hand on top of what the people import states: an account linked to a
-- person or taken away from one, a person merged into another (the same human under two
-- e-mails) or split off again. A later import does not undo these decisions. Each one is
-- appended to person_link_log (never updated or deleted); the other two tables hold the state
-- the log has reached, each row naming the log entry that set it.

create table person_link_log (
    id integer primary key autoincrement,
    at_us bigint not null,
    -- Who decided: `token:<name>` through the API, `cli:<user>` from the command line.
    actor text not null,
    -- link, unlink, merge or split.
    action text not null,
    -- The person acted on: the one an account is linked to or unlinked from, the one merged
    -- into or split from.
    email text not null,
    -- link and unlink: the account.
    source text,
    account_id text,
    -- link: the person the account belonged to before, if any; merge and split: the person
    -- merged in or split off.
    other_email text,
    reason text not null
);
create index person_link_log_email on person_link_log (email, id);
create index person_link_log_other on person_link_log (other_email, id);

-- Where an account belongs by hand: to `email`, or (null) to nobody, whatever imports say.
create table person_account_links (
    source text not null,
    account_id text not null,
    email text,
    log_id bigint not null references person_link_log (id) deferrable initially deferred,
    primary key (source, account_id)
);
create index person_account_links_email on person_account_links (email);

-- A person merged into another: looking up either finds the one, with the accounts of both.
create table person_merges (
    email text primary key,
    into_email text not null,
    log_id bigint not null references person_link_log (id) deferrable initially deferred
);
create index person_merges_into on person_merges (into_email);
