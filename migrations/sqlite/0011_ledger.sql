-- The ledger: a hash chain over every record Attest keeps and every change made in it (see
-- domain/src/ledger.rs). Entry `seq` commits to its record by `digest` and to entry `seq - 1`
-- by `prev`; `hash` is SHA-256 of the entry's canonical encoding. Hashes are lowercase hex.
-- Rows are only ever appended; `attest verify` finds any that were edited, removed, inserted
-- or reordered.
create table ledger (
    seq bigint primary key,
    at_us bigint not null,
    kind text not null,
    subject text not null,
    digest text not null,
    prev text not null,
    hash text not null
);

-- Signed tree heads: the ledger's size and Merkle root at a moment, signed with an Ed25519
-- key kept outside the database (`attest ledger checkpoint`). Exported copies let a cut tail
-- be detected even when these rows are deleted too.
create table ledger_checkpoints (
    size bigint primary key,
    root text not null,
    at_us bigint not null,
    public_key text not null,
    signature text not null
);
