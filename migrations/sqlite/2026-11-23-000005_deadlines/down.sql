DROP TABLE calendar_days;
DROP TABLE sla_policies;
