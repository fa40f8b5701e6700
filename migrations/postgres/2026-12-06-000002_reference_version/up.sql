-- Reference data (areas, units and their areas, categories, routing rules, deadline policies,
-- the calendar) changes a few times a year and is read by every submission. Each process keeps
-- a copy (`reference::Refs`) and compares this number before using it: one read instead of a
-- dozen. Triggers bump it on every write to those tables, whatever wrote it (the API, the
-- console, a seed, an import, another process, psql).
CREATE TABLE reference_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO reference_version (id, version) VALUES (1, 1);

CREATE FUNCTION bump_reference_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reference_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER areas_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON areas
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();
CREATE TRIGGER units_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON units
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();
CREATE TRIGGER unit_areas_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON unit_areas
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();
CREATE TRIGGER categories_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();
CREATE TRIGGER routing_rules_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON routing_rules
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();
CREATE TRIGGER sla_policies_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sla_policies
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();
CREATE TRIGGER calendar_days_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendar_days
    FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version();
