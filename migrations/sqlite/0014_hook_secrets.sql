-- Webhook secrets managed in Attest (the webhooks page, `attest hook-secret`), beside the ones
-- given in the settings. The secret itself is not stored: it is derived from the secrets key,
-- a file kept outside the database, and this row's salt. Only its SHA-256 (the fingerprint) is
-- kept; the ledger records each row's creation and revocation, so a row added or edited around
-- Attest is caught by `attest verify`.
create table hook_secrets (
    id integer primary key autoincrement,
    name text not null,
    -- The push endpoint it opens: github, gitlab, aws, gcp, azure, okta or terraform.
    endpoint text not null,
    salt text not null,
    fingerprint text not null,
    created_by text not null,
    created_at_us bigint not null,
    last_used_at_us bigint,
    revoked_at_us bigint,
    constraint hook_secrets_name unique (name)
);

-- Revocations in the ledger, by subject: a row whose revocation is recorded is never used
-- again, whatever its revoked_at_us column says now.
create index ledger_hook_secret_revocations on ledger (subject)
    where kind = 'hook_secret.revoked';
