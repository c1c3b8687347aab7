-- Sign-in sessions (tower-sessions' SQLx store reads and writes this table; its columns are the
-- ones that store expects). Data is the session's MessagePack; expired rows are deleted by the
-- server's cleanup task.
create table sessions (
    id text primary key not null,
    data blob not null,
    expiry_date integer not null
);

-- Attest's own actions: who signed in (or was refused), who signed out, who created or revoked
-- a token, who exported what. Each row is recorded in the ledger in the same transaction.
create table audit_log (
    id integer primary key autoincrement,
    at_us bigint not null,
    -- Who did it: an e-mail, a token's name, or what a refused sign-in claimed to be.
    actor text not null,
    -- Their role at the time, empty when they had none.
    role text not null,
    action text not null,
    -- What it was done to (a token's name, an export's file), empty when nothing.
    target text not null,
    -- Words for a person reading the log (why a sign-in was refused, the provider used).
    detail text not null,
    -- The client's address as the server saw it.
    ip text not null
);
create index audit_log_at on audit_log (at_us);
create index audit_log_actor on audit_log (actor, id);
