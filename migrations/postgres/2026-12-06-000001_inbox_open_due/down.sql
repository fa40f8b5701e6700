DROP INDEX tickets_unit_open_due;
