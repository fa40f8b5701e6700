DROP TRIGGER areas_reference_version ON areas;
DROP TRIGGER units_reference_version ON units;
DROP TRIGGER unit_areas_reference_version ON unit_areas;
DROP TRIGGER categories_reference_version ON categories;
DROP TRIGGER routing_rules_reference_version ON routing_rules;
DROP TRIGGER sla_policies_reference_version ON sla_policies;
DROP TRIGGER calendar_days_reference_version ON calendar_days;
DROP FUNCTION bump_reference_version();
DROP TABLE reference_version;
