DROP TABLE reception_hosts;
DROP TABLE reception_visitors;
DROP TABLE receptions;
