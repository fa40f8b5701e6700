DROP INDEX tickets_unit_status_due;
