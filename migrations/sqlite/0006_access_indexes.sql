-- Indexes for effective-access questions. A walk reads grants by principal and by resource
-- (0002 has those); what a person types is matched against names in any case; the admins of
-- an org or account are found by scope and permission without reading every member's grant.
create index grants_principal_name on grants (lower(principal_name));
create index grants_resource_name on grants (lower(resource_name));
create index grants_scope_permission on grants (scope, permission);
