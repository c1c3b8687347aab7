-- Notices sent about access reviews (domain/src/review/notice.rs): one row per recipient, kind,
-- round and day (`once` for launch and reminder, the UTC day for daily ones), so each goes out
-- once however often the scheduler runs and however many processes run it.
create table review_notices (
    recipient text not null,
    kind text not null,
    round_id bigint not null references review_rounds (id),
    day text not null,
    sent_at_us bigint not null,
    -- Where it went: email, slack, or both (`email+slack`).
    channels text not null,
    constraint review_notices_key unique (recipient, kind, round_id, day)
);
