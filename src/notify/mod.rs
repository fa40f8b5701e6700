//! Telling people what happened: the outbox, and delivery by email and push.

pub mod messages;
pub mod outbox;
