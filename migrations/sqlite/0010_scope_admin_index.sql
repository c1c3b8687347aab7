-- "Who can reach this" ends with the admins of the resource's org or account: grants in that
-- scope with an admin permission on the org or account itself. Found by (scope, permission)
-- alone, every team's `admin` on a repository in the scope was read from the table to be
-- dropped for its kind (62,000 rows in the bench's organisation, most of a question's time);
-- with the kind in the index, only the admins' rows are read. It replaces 0006's index (same
-- leading columns, which the findings' scope and permission lookups keep using).
drop index grants_scope_permission;
create index grants_scope_permission on grants (scope, permission, resource_kind);
