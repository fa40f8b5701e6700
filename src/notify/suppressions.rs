//! Unsubscribing, and the suppressions it records.
//!
//! The one-click link in a ticket email names its recipient (see [`super::links`]). A person
//! with an account turns their ticket-mail preference off (`notify_email`; they can turn it back
//! on in the app). An address without an account — an anonymous or desk submitter's contact,
//! a unit's mailbox — gets a suppression: no more ticket mail to it about that ticket, or about
//! any ticket. The ticket keeps its contact address. Delivery checks the suppressions just
//! before sending (so mail already queued is stopped too) and records such a message as
//! `suppressed`; account mail (verification, password reset, invitations) is never suppressed.
//! An administrator can lift a unit mailbox's suppression; a citizen's is theirs alone.
//!
//! An address is kept only as the SHA-256 of its trimmed lower-case form, so the table lists
//! no addresses. The hash is not keyed with `notifications.link_secret`: rotating that secret
//! must not silently turn everyone's mail back on.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::links::Subject;
use crate::db::schema::{email_suppressions, tickets, units, users};
use crate::db::{self, DbConn};
use crate::error::AppError;
use crate::i18n::Lang;

/// What an unsubscribe stops for an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Mail about one ticket.
    Ticket,
    /// All ticket mail to the address.
    All,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ticket => "ticket",
            Scope::All => "all",
        }
    }

    /// Decodes a stored scope; anything else is a corrupt row.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        match s {
            "ticket" => Ok(Scope::Ticket),
            "all" => Ok(Scope::All),
            other => Err(AppError::internal(format!(
                "email_suppressions.scope `{other}`"
            ))),
        }
    }
}

/// The key of what a suppression stops (`applies_to`): `all`, or `ticket:<id>`.
fn applies_to(ticket_id: Option<i64>) -> String {
    match ticket_id {
        Some(id) => format!("ticket:{id}"),
        None => "all".to_string(),
    }
}

/// The stored form of an address: SHA-256 (hex) of it trimmed and in lower case.
pub fn address_hash(address: &str) -> String {
    let normalised = address.trim().to_lowercase();
    hex::encode(Sha256::digest(
        format!("nghedan email suppression\0{normalised}").as_bytes(),
    ))
}

/// `n***@example.vn`: enough for a person to recognise their address on a page anyone with
/// the link may open.
pub fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// Whom an unsubscribe link speaks for.
#[derive(Debug, Clone)]
pub enum Target {
    /// A person with an account: their preference for ticket mail.
    Account { user_id: i64 },
    /// An address without an account that received mail about `ticket`.
    Address {
        /// Trimmed, lower case.
        address: String,
        /// The ticket the mail was about: (id, code).
        ticket: Option<(i64, String)>,
        /// The address is that ticket's submitter's contact (anonymous or at the desk).
        contact: bool,
        /// The address is this unit's mailbox: (id, name in the request's language).
        unit: Option<(i64, String)>,
    },
}

impl Target {
    /// What the one-click POST stops when the person chose nothing: a contact, mail about its
    /// ticket; a unit's mailbox, all ticket mail to the unit (it gets mail about every ticket).
    pub fn default_scope(&self) -> Scope {
        match self {
            Target::Account { .. } => Scope::All,
            Target::Address {
                ticket,
                contact,
                unit,
                ..
            } => {
                if ticket.is_none() || (unit.is_some() && !contact) {
                    Scope::All
                } else {
                    Scope::Ticket
                }
            }
        }
    }
}

/// Resolves a link's subject. `None`: the account no longer exists.
pub fn target(
    conn: &mut DbConn,
    subject: &Subject,
    lang: Lang,
) -> Result<Option<Target>, AppError> {
    match subject {
        Subject::User { u } => Ok(users::table
            .find(*u)
            .select(users::id)
            .first::<i64>(conn)
            .optional()?
            .map(|user_id| Target::Account { user_id })),
        Subject::Contact { t, a } => {
            let address = a.trim().to_lowercase();
            let ticket = tickets::table
                .find(*t)
                .select((
                    tickets::id,
                    tickets::code,
                    tickets::submitter_id,
                    tickets::contact_email,
                ))
                .first::<(i64, String, Option<i64>, Option<String>)>(conn)
                .optional()?;
            let contact = ticket.as_ref().is_some_and(|(_, _, submitter, email)| {
                submitter.is_none()
                    && email
                        .as_deref()
                        .is_some_and(|e| e.trim().to_lowercase() == address)
            });
            let unit = units::table
                .filter(units::email.eq(&address))
                .order(units::id.asc())
                .select(units::id)
                .first::<i64>(conn)
                .optional()?;
            let unit = match unit {
                Some(id) => Some((id, db::units::name_of(conn, id, lang)?.unwrap_or_default())),
                None => None,
            };
            Ok(Some(Target::Address {
                address,
                ticket: ticket.map(|(id, code, _, _)| (id, code)),
                contact,
                unit,
            }))
        }
    }
}

/// Stops what `scope` says for `target` (a scope of `ticket` needs the link's ticket; the
/// caller checks). Idempotent: the same unsubscribe again changes nothing.
pub fn unsubscribe(
    conn: &mut DbConn,
    target: &Target,
    scope: Scope,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    match target {
        Target::Account { user_id } => {
            diesel::update(users::table.find(*user_id))
                .set((users::notify_email.eq(false), users::updated_at.eq(now)))
                .execute(conn)?;
        }
        Target::Address {
            address,
            ticket,
            unit,
            ..
        } => {
            let ticket_id = match scope {
                Scope::Ticket => Some(
                    ticket
                        .as_ref()
                        .map(|t| t.0)
                        .ok_or_else(|| AppError::field("/scope", "not_allowed"))?,
                ),
                Scope::All => None,
            };
            db::insert_new_only!(
                conn,
                diesel::insert_into(email_suppressions::table).values((
                    email_suppressions::address_hash.eq(address_hash(address)),
                    email_suppressions::scope.eq(scope.as_str()),
                    email_suppressions::ticket_id.eq(ticket_id),
                    email_suppressions::applies_to.eq(applies_to(ticket_id)),
                    email_suppressions::unit_id.eq(unit.as_ref().map(|u| u.0)),
                    email_suppressions::created_at.eq(now),
                ))
            )?;
        }
    }
    Ok(())
}

/// Whether mail about `ticket_id` (if any) to `address` is suppressed.
pub fn applies(conn: &mut DbConn, address: &str, ticket_id: Option<i64>) -> Result<bool, AppError> {
    let hash = address_hash(address);
    let mut keys = vec![applies_to(None)];
    keys.extend(ticket_id.map(|t| applies_to(Some(t))));
    let found = email_suppressions::table
        .filter(email_suppressions::address_hash.eq(&hash))
        .filter(email_suppressions::applies_to.eq_any(&keys))
        .select(email_suppressions::id)
        .first::<i64>(conn)
        .optional()?;
    Ok(found.is_some())
}

/// A unit mailbox's suppression, as an administrator sees it (never the address).
#[derive(Debug, Clone)]
pub struct MailboxSuppression {
    pub id: i64,
    pub unit_id: i64,
    pub scope: Scope,
    pub ticket_code: Option<String>,
    /// It concerns the unit's mailbox as configured now (not an address it had before).
    pub current_mailbox: bool,
    pub created_at: NaiveDateTime,
}

/// Suppressions of units' mailboxes (of one unit, if given), by id, after the cursor.
pub fn of_mailboxes(
    conn: &mut DbConn,
    unit_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<MailboxSuppression>, AppError> {
    let mut q = email_suppressions::table
        .left_join(tickets::table)
        .inner_join(units::table)
        .order(email_suppressions::id.asc())
        .limit(limit)
        .select((
            email_suppressions::id,
            units::id,
            email_suppressions::scope,
            tickets::code.nullable(),
            email_suppressions::address_hash,
            units::email,
            email_suppressions::created_at,
        ))
        .into_boxed();
    if let Some(unit) = unit_id {
        q = q.filter(email_suppressions::unit_id.eq(unit));
    }
    if let Some(after) = after {
        q = q.filter(email_suppressions::id.gt(after));
    }
    q.load::<(
        i64,
        i64,
        String,
        Option<String>,
        String,
        Option<String>,
        NaiveDateTime,
    )>(conn)?
        .into_iter()
        .map(
            |(id, unit_id, scope, ticket_code, hash, mailbox, created_at)| {
                Ok(MailboxSuppression {
                    id,
                    unit_id,
                    scope: Scope::parse(&scope)?,
                    ticket_code,
                    current_mailbox: mailbox.is_some_and(|m| address_hash(&m) == hash),
                    created_at,
                })
            },
        )
        .collect()
}

/// Lifts a unit mailbox's suppression. `false`: no such suppression of a unit's mailbox
/// (a contact's own choice is not an administrator's to undo).
pub fn lift_mailbox(conn: &mut DbConn, id: i64) -> Result<bool, AppError> {
    Ok(diesel::delete(
        email_suppressions::table
            .find(id)
            .filter(email_suppressions::unit_id.is_not_null()),
    )
    .execute(conn)?
        == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_hashed_in_one_form_and_masked_on_pages() {
        assert_eq!(
            address_hash(" An.Nguyen@Example.VN "),
            address_hash("an.nguyen@example.vn")
        );
        assert_ne!(
            address_hash("an.nguyen@example.vn"),
            address_hash("an.nguyen@example.com")
        );
        assert!(!address_hash("an@example.vn").contains("example"));
        assert_eq!(mask("an.nguyen@example.vn"), "a***@example.vn");
        assert_eq!(mask("nonsense"), "***");
    }

    #[test]
    fn a_contact_stops_its_ticket_and_a_mailbox_all_by_default() {
        let address = |contact: bool, unit: bool, ticket: bool| Target::Address {
            address: "x@example.vn".into(),
            ticket: ticket.then(|| (1, "PAKN.20261123.0001".into())),
            contact,
            unit: unit.then(|| (7, "UBND".into())),
        };
        assert_eq!(address(true, false, true).default_scope(), Scope::Ticket);
        assert_eq!(address(false, true, true).default_scope(), Scope::All);
        // A unit's mailbox that is also the ticket's contact: the person's choice, per ticket.
        assert_eq!(address(true, true, true).default_scope(), Scope::Ticket);
        // Neither (a contact since changed): the ticket the mail was about.
        assert_eq!(address(false, false, true).default_scope(), Scope::Ticket);
        assert_eq!(address(false, false, false).default_scope(), Scope::All);
        assert_eq!(Target::Account { user_id: 1 }.default_scope(), Scope::All);
    }
}
