-- The inbox's "latest activity first" order over a unit's tickets, keyset-paged on
-- (updated_at, id): without it a unit's page sorts every ticket of the unit.
CREATE INDEX tickets_unit_activity ON tickets (unit_id, updated_at, id);
