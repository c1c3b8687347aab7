-- People as the people import states them: the key is the lower-cased e-mail. Each import
-- updates the people it lists and replaces their accounts; people it does not list are kept.

create table people (
    email text primary key,
    name text not null,
    manager_email text,
    department text,
    delivery_id bigint not null references deliveries (id),
    updated_at_us bigint not null
);
create index people_manager on people (manager_email);

-- An account belongs to one person at a time.
create table person_accounts (
    source text not null,
    account_id text not null,
    email text not null references people (email),
    delivery_id bigint not null references deliveries (id),
    primary key (source, account_id)
);
create index person_accounts_email on person_accounts (email);
