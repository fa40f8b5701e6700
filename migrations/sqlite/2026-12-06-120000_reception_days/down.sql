DROP TABLE reception_bookings;
DROP TABLE reception_days;
