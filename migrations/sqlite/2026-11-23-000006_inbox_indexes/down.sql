DROP INDEX tickets_category_lat;
