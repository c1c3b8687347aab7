-- Delivery indexes that a bulk import does not pay for. Almost every delivery ends normalized,
-- so the deliveries still to be settled (pending, failed, ignored) get a partial index of their
-- own, which normalized rows never enter; and one index by source and status serves the ingest
-- health counts without reading the table.
drop index deliveries_status;
drop index deliveries_source_received;
create index deliveries_unsettled on deliveries (id) where status <> 'normalized';
create index deliveries_source_status on deliveries (source, status, received_at_us);
