//! Pure rules of the domain: no I/O, no clock, no database. Unit-tested heavily.

pub mod calendar;
pub mod deadlines;
