DROP TABLE routing_rules;
DROP TABLE unit_categories;
DROP TABLE categories;
DROP TABLE unit_areas;
DROP TABLE areas;
DROP TABLE units;
