//! Pure rules of the domain: no I/O, no clock, no database. Unit-tested heavily.

pub mod access;
pub mod account;
pub mod announcement;
pub mod app_version;
pub mod attributes;
pub mod calendar;
pub mod clock;
pub mod consultation;
pub mod contact;
pub mod deadlines;
pub mod device;
pub mod follow_up;
pub mod geo;
pub mod message;
pub mod policy;
pub mod preferences;
pub mod reception;
pub mod report;
pub mod routing;
pub mod sign_in;
pub mod text;
pub mod ticket;
pub mod words;
