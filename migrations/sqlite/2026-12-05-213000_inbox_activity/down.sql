DROP INDEX tickets_unit_activity;
