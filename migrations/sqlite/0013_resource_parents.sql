-- Which resource is inside which, where a resource's id does not say so: a GCP project in its
-- folder or organization, a folder in its parent folder or organization, an Azure subscription
-- or management group in its parent management group. Grants on a container reach everything
-- in it, so "who can reach this project" includes the organization's owners. Each row is the
-- latest listing's word (a project moved to another folder moves here too).
create table resource_parents (
    child_id text primary key,
    parent_id text not null,
    -- The delivery (resource listing) that said so last.
    delivery_id bigint not null references deliveries (id),
    updated_at_us bigint not null
);
create index resource_parents_parent on resource_parents (parent_id);
