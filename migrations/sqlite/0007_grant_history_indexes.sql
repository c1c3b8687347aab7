-- The grant history of a principal (a person's accounts) or of a resource, newest first, is
-- read from grant_changes by principal or resource; 0002 only indexed it by grant key.
create index grant_changes_principal on grant_changes (principal_id, at_us);
create index grant_changes_resource on grant_changes (resource_id, at_us);
