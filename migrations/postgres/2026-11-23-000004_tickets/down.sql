DROP TABLE ticket_followers;
DROP TABLE ticket_supports;
DROP TABLE uploads;
DROP TABLE ticket_events;
DROP TABLE event_texts;
DROP TABLE ticket_clocks;
DROP TABLE tickets;
DROP SEQUENCE ticket_number_seq;
