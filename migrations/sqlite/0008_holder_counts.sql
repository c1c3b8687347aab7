-- "Who can reach this" counts the holders of every team or group on its way up (to list the
-- members of small ones and count those of big ones) before it reads them. With the end of
-- each interval in the index, those counts of grants held at an instant read the index alone,
-- not a table row per member. It replaces the index of 0002 (same leading columns).
drop index grants_resource;
create index grants_resource on grants (resource_id, valid_from_us, valid_to_us);
