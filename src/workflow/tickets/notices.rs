//! Who a ticket's messages go to, and what they carry: never a denouncer's identity, never
//! a confidential ticket's title.

use serde_json::{Value, json};

use crate::db::DbConn;
use crate::db::tickets::{self as store, Ticket};
use crate::domain::clock::Clock;
use crate::domain::policy::ClockName;
use crate::domain::ticket::{Audience, Notice};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::notify::recipients::{self, To};
use crate::workflow::Ctx;

/// The people and addresses an audience names for `t`.
pub fn audience(
    conn: &mut DbConn,
    t: &Ticket,
    who: Audience,
    ctx: &Ctx,
) -> Result<Vec<To>, AppError> {
    match who {
        Audience::Submitter => Ok(submitter(t)),
        Audience::Followers => Ok(store::followers_and_supporters(conn, t.id)?
            .into_iter()
            .map(To::User)
            .collect()),
        Audience::Staff => Ok(recipients::unit_staff(&ctx.refs, t.unit_id)),
        Audience::Assignee => Ok(t.assignee_id.map(To::User).into_iter().collect()),
        Audience::AssigneeOrStaff => match t.assignee_id {
            Some(a) => Ok(vec![To::User(a)]),
            None => Ok(recipients::unit_staff(&ctx.refs, t.unit_id)),
        },
    }
}

/// The signed-in submitter, or the contact address an anonymous or desk submitter left.
pub fn submitter(t: &Ticket) -> Vec<To> {
    match (t.submitter_id, &t.contact_email) {
        (Some(id), _) => vec![To::User(id)],
        (None, Some(email)) => vec![To::Address(email.clone(), Lang::Vi)],
        (None, None) => vec![],
    }
}

/// What a ticket's messages carry: its code, its title unless confidential, the holding
/// unit's name, the earliest due day, and `extra`.
pub fn data(conn: &mut DbConn, t: &Ticket, ctx: &Ctx, extra: Value) -> Result<Value, AppError> {
    let clocks = crate::db::clocks::of_ticket(conn, t.id)?;
    Ok(data_with(t, &clocks, ctx, extra))
}

/// [`data`] with the ticket's clocks at hand.
pub fn data_with(t: &Ticket, clocks: &[Clock], ctx: &Ctx, extra: Value) -> Value {
    let mut more = json!({
        "due": first_due(clocks, ctx),
        "unit": ctx.refs.unit(t.unit_id).map(|u| u.name_vi.clone()).unwrap_or_default(),
    });
    if let (Some(m), Value::Object(x)) = (more.as_object_mut(), extra) {
        m.extend(x);
    }
    let title = (!t.confidential).then_some(t.title.as_str());
    recipients::ticket_data(&t.code, t.id, title, more)
}

/// Sends each notice of an action about `t` (the ticket after it). Returns the people told,
/// as looked up (their contact serves the reply).
pub fn send(
    conn: &mut DbConn,
    t: &Ticket,
    notices: &[Notice],
    data: &Value,
    key: &str,
    ctx: &Ctx,
) -> Result<recipients::People, AppError> {
    // Everyone's preferences and devices in one lookup, and every message in one statement
    // per table, not one per notice.
    let mut told = Vec::with_capacity(notices.len());
    for n in notices {
        told.push((audience(conn, t, n.to, ctx)?, n.template));
    }
    let told: Vec<(Vec<&To>, _)> = told
        .iter()
        .map(|(to, template)| (to.iter().collect(), *template))
        .collect();
    let mut people = recipients::People::new(ctx.delivery.clone());
    people.tell_all(conn, &told, data, key, ctx.naive())?;
    Ok(people)
}

/// The earliest due day of the running clocks but the progress-note one, as a local date.
fn first_due(clocks: &[Clock], ctx: &Ctx) -> Option<String> {
    clocks
        .iter()
        .filter(|c| c.name != ClockName::Update)
        .filter_map(|c| c.view(&ctx.cal, &ctx.day_end, ctx.now).due_local_date)
        .min()
        .map(|d| d.format("%d/%m/%Y").to_string())
}
