-- Reference data (areas, units and their areas, categories, routing rules, deadline policies,
-- the calendar) changes a few times a year and is read by every submission. Each process keeps
-- a copy (`reference::Refs`) and compares this number before using it: one read instead of a
-- dozen. Triggers bump it on every write to those tables, whatever wrote it (the API, the
-- console, a seed, an import, another process, the sqlite3 shell).
CREATE TABLE reference_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO reference_version (id, version) VALUES (1, 1);
CREATE TRIGGER areas_reference_version_insert AFTER INSERT ON areas
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER areas_reference_version_update AFTER UPDATE ON areas
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER areas_reference_version_delete AFTER DELETE ON areas
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER units_reference_version_insert AFTER INSERT ON units
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER units_reference_version_update AFTER UPDATE ON units
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER units_reference_version_delete AFTER DELETE ON units
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER unit_areas_reference_version_insert AFTER INSERT ON unit_areas
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER unit_areas_reference_version_update AFTER UPDATE ON unit_areas
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER unit_areas_reference_version_delete AFTER DELETE ON unit_areas
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER categories_reference_version_insert AFTER INSERT ON categories
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER categories_reference_version_update AFTER UPDATE ON categories
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER categories_reference_version_delete AFTER DELETE ON categories
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER routing_rules_reference_version_insert AFTER INSERT ON routing_rules
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER routing_rules_reference_version_update AFTER UPDATE ON routing_rules
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER routing_rules_reference_version_delete AFTER DELETE ON routing_rules
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER sla_policies_reference_version_insert AFTER INSERT ON sla_policies
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER sla_policies_reference_version_update AFTER UPDATE ON sla_policies
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER sla_policies_reference_version_delete AFTER DELETE ON sla_policies
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER calendar_days_reference_version_insert AFTER INSERT ON calendar_days
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER calendar_days_reference_version_update AFTER UPDATE ON calendar_days
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER calendar_days_reference_version_delete AFTER DELETE ON calendar_days
    BEGIN UPDATE reference_version SET version = version + 1 WHERE id = 1; END;
