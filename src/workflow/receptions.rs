//! The reception register (sổ tiếp công dân): an official records each reception of their
//! unit and what came of it. A visit received as a ticket goes through the same submission
//! as the desk's ([`tickets::submit`], channel `in_person`: the in-person deadline rule), in
//! the same transaction, linked both ways (the reception names the ticket; the ticket's
//! timeline has an internal `received_at_reception` event naming the reception).
//!
//! Who reads the register: the unit's officials (their unit, and its subtree when it sees its
//! subunits) with the visitors' names and contacts; its supervisors and administrators the
//! same receptions without the visitors (figures and matters, not people). An identity
//! number is never shown whole to anyone: only its last three digits, to the unit.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::CurrentUser;
use crate::db::DbConn;
use crate::db::events::{self, NewEvent};
use crate::db::receptions::{self as store, Filter, NewReception, NewVisitor, Reception};
use crate::db::tickets::Ticket;
use crate::domain::account::Role;
use crate::domain::reception::{
    Change, Counted, Figures, IdNumber, Kind, Outcome, RefusalGround, Tally,
};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::workflow::Ctx;
use crate::workflow::refs::UnitRef;
use crate::workflow::tickets::{self, Submission};

/// The event on a ticket's timeline that names the reception it came from.
pub const RECEIVED_AT_RECEPTION_EVENT: &str = "received_at_reception";

/// A person received, checked; the identity number already hashed by the caller's key.
#[derive(Debug, Clone)]
pub struct VisitorIn {
    pub name: String,
    /// (keyed hash, last three digits).
    pub id_number: Option<(String, String)>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

/// A checked reception (the API validated every field on its own).
#[derive(Debug, Clone)]
pub struct Visit {
    pub received_at: NaiveDateTime,
    pub place: String,
    pub kind: Kind,
    pub hosts: Vec<i64>,
    pub visitors: Vec<VisitorIn>,
    /// A crowd reception: (size, representatives).
    pub group: Option<(i32, i32)>,
    pub summary: String,
    pub outcome: Outcome,
    pub outcome_note: Option<String>,
    pub referred_unit_id: Option<i64>,
    pub refusal_ground: Option<RefusalGround>,
    /// `received_as_ticket`: the ticket, checked by the submission's own checks.
    pub ticket: Option<Submission>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VisitorView {
    pub name: String,
    /// Only the last three digits: `•••••••••234`.
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupView {
    pub size: i32,
    pub representatives: i32,
}

/// A reception as the register shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceptionView {
    pub id: i64,
    pub unit: UnitRef,
    pub received_at: DateTime<Utc>,
    pub place: String,
    pub kind: Kind,
    /// People received: the group's size for a crowd reception, else the visitors listed.
    pub visitor_count: i32,
    /// The people received, for the unit's officials only (`null` for supervisors and
    /// administrators).
    pub visitors: Option<Vec<VisitorView>>,
    /// A crowd reception (đoàn đông người).
    pub group: Option<GroupView>,
    pub summary: String,
    pub outcome: Outcome,
    pub outcome_note: Option<String>,
    /// `referred`: the competent unit.
    pub referred_unit: Option<UnitRef>,
    /// `refused`: the legal ground.
    pub refusal_ground: Option<RefusalGround>,
    /// `received_as_ticket`: the ticket's code.
    pub ticket_code: Option<String>,
    /// Who received them (user ids).
    pub received_by: Vec<i64>,
    pub recorded_by: i64,
    pub created_at: DateTime<Utc>,
}

/// A unit by id, named in `lang`, read from the database (the register's, the reception
/// days' and the dialogues' views, which run without the reference snapshot).
pub fn unit_named(conn: &mut DbConn, id: i64, lang: Lang) -> Result<UnitRef, AppError> {
    let u = crate::workflow::units::found(conn, id)?;
    Ok(UnitRef {
        id: u.id,
        name: u.name(lang).to_string(),
        code: u.code,
    })
}

/// The units whose register `user` reads (`None`: every unit), and whether they see the
/// visitors. Citizens read none (403).
pub fn readable(
    conn: &mut DbConn,
    user: &CurrentUser,
) -> Result<(Option<Vec<i64>>, bool), AppError> {
    match (user.role, user.unit_id) {
        (Role::Official, Some(_)) => Ok((
            crate::db::scope::of(conn, user.role, user.unit_id)?.units,
            true,
        )),
        (Role::Supervisor, Some(_)) | (Role::Admin, _) => Ok((
            crate::db::scope::of(conn, user.role, user.unit_id)?.units,
            false,
        )),
        (Role::Supervisor | Role::Official, None) => Ok((Some(vec![]), false)),
        (Role::Citizen, _) => Err(AppError::forbidden()),
    }
}

/// Records a reception by `user`'s unit (and, received as a ticket, the ticket). Returns the
/// reception and the ticket made.
pub fn record(
    conn: &mut DbConn,
    user: &CurrentUser,
    visit: &Visit,
    ctx: &Ctx,
    lang: Lang,
) -> Result<(ReceptionView, Option<Ticket>), AppError> {
    let (Role::Official, Some(unit_id)) = (user.role, user.unit_id) else {
        return Err(AppError::forbidden());
    };
    let now = ctx.naive();
    for (i, host) in visit.hosts.iter().enumerate() {
        let of_unit = crate::db::users::find(conn, *host)?
            .is_some_and(|u| u.unit_id == Some(unit_id) && u.role == Role::Official && !u.disabled);
        if !of_unit {
            return Err(AppError::field(format!("/received_by/{i}"), "not_of_unit"));
        }
    }
    if let Some(referred) = visit.referred_unit_id {
        if referred == unit_id {
            return Err(AppError::field("/referred_unit_id", "own_unit"));
        }
        let active = crate::db::units::find(conn, referred)?.is_some_and(|u| u.active);
        if !active {
            return Err(AppError::field("/referred_unit_id", "unknown_unit"));
        }
    }
    let ticket = match &visit.ticket {
        Some(s) => Some(tickets::submit(conn, s, ctx).map_err(|e| e.under("/ticket"))?),
        None => None,
    };
    let visitors: Vec<NewVisitor> = visit
        .visitors
        .iter()
        .map(|v| NewVisitor {
            name: &v.name,
            id_number_hash: v.id_number.as_ref().map(|(h, _)| h.as_str()),
            id_number_tail: v.id_number.as_ref().map(|(_, t)| t.as_str()),
            phone: v.phone.as_deref(),
            address: v.address.as_deref(),
        })
        .collect();
    let count = match visit.group {
        Some((size, _)) => size,
        None => visit.visitors.len() as i32,
    };
    let id = store::insert(
        conn,
        &NewReception {
            unit_id,
            received_at: visit.received_at,
            place: &visit.place,
            kind: visit.kind.as_str(),
            visitors: count,
            group_size: visit.group.map(|g| g.0),
            group_representatives: visit.group.map(|g| g.1),
            summary: &visit.summary,
            outcome: visit.outcome.as_str(),
            outcome_note: visit.outcome_note.as_deref(),
            referred_unit_id: visit.referred_unit_id,
            refusal_ground: visit.refusal_ground.map(RefusalGround::as_str),
            ticket_id: ticket.as_ref().map(|t| t.id),
            recorded_by: user.id,
        },
        &visitors,
        &visit.hosts,
        now,
    )?;
    if let Some(t) = &ticket {
        events::append(
            conn,
            &NewEvent {
                ticket_id: t.id,
                kind: RECEIVED_AT_RECEPTION_EVENT,
                actor: Some((user.id, user.role)),
                unit_id: Some(t.unit_id),
                from_status: None,
                to_status: None,
                public: false,
                data: json!({"reception_id": id, "reception_unit_id": unit_id}),
                text: None,
            },
            now,
        )?;
    }
    // The hash-chained trail of who recorded what (figures and ids: no personal data).
    crate::db::audit::record_admin(
        conn,
        Some(user.id),
        "reception.record",
        &format!("reception:{id}"),
        json!({
            "unit_id": unit_id,
            "kind": visit.kind.as_str(),
            "outcome": visit.outcome.as_str(),
            "visitors": count,
            "ticket_id": ticket.as_ref().map(|t| t.id),
        }),
        now,
    )?;
    let r = store::find(conn, id)?.ok_or_else(|| AppError::internal("reception vanished"))?;
    let view = views(conn, vec![r], true, lang)?
        .pop()
        .ok_or_else(|| AppError::internal("reception view"))?;
    Ok((view, ticket))
}

/// One reception, if `user` may read it (else 404, never saying it exists).
pub fn one(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    lang: Lang,
) -> Result<ReceptionView, AppError> {
    let (units, full) = readable(conn, user)?;
    let not_found = || AppError::not_found("reception_not_found");
    let r = store::find(conn, id)?.ok_or_else(not_found)?;
    if units.as_ref().is_some_and(|u| !u.contains(&r.unit_id)) {
        return Err(not_found());
    }
    views(conn, vec![r], full, lang)?
        .pop()
        .ok_or_else(not_found)
}

/// A page of the register `user` reads: `filter.units` is narrowed to what they may read;
/// searching by identity number is the unit's alone (403 for others).
pub fn list(
    conn: &mut DbConn,
    user: &CurrentUser,
    mut filter: Filter,
    after: Option<(NaiveDateTime, i64)>,
    limit: i64,
    lang: Lang,
) -> Result<Vec<ReceptionView>, AppError> {
    let (units, full) = readable(conn, user)?;
    if filter.id_number_hash.is_some() && !full {
        return Err(AppError::forbidden());
    }
    filter.units = units;
    let rows = store::list(conn, &filter, after, limit)?;
    views(conn, rows, full, lang)
}

/// The register's rows as views (`full`: with the visitors).
fn views(
    conn: &mut DbConn,
    rows: Vec<Reception>,
    full: bool,
    lang: Lang,
) -> Result<Vec<ReceptionView>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut visitors = std::collections::HashMap::<i64, Vec<VisitorView>>::new();
    if full {
        for v in store::visitors_of(conn, &ids)? {
            visitors
                .entry(v.reception_id)
                .or_default()
                .push(VisitorView {
                    name: v.name,
                    id_number: v.id_number_tail.as_deref().map(IdNumber::masked),
                    phone: v.phone,
                    address: v.address,
                });
        }
    }
    let mut hosts = std::collections::HashMap::<i64, Vec<i64>>::new();
    for (r, u) in store::hosts_of(conn, &ids)? {
        hosts.entry(r).or_default().push(u);
    }
    let ticket_ids: Vec<i64> = rows.iter().filter_map(|r| r.ticket_id).collect();
    let codes = store::ticket_codes(conn, &ticket_ids)?;
    let mut units = std::collections::HashMap::<i64, UnitRef>::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let corrupt = |what: &str, v: &str| AppError::internal(format!("reception {what} {v:?}"));
        let kind = Kind::parse(&r.kind).ok_or_else(|| corrupt("kind", &r.kind))?;
        let outcome = Outcome::parse(&r.outcome).ok_or_else(|| corrupt("outcome", &r.outcome))?;
        let refusal_ground = match &r.refusal_ground {
            Some(g) => Some(RefusalGround::parse(g).ok_or_else(|| corrupt("ground", g))?),
            None => None,
        };
        let mut unit = |conn: &mut DbConn, id: i64| -> Result<UnitRef, AppError> {
            if let Some(u) = units.get(&id) {
                return Ok(u.clone());
            }
            let u = unit_named(conn, id, lang)?;
            units.insert(id, u.clone());
            Ok(u)
        };
        let unit_ref_of = unit(conn, r.unit_id)?;
        let referred_unit = match r.referred_unit_id {
            Some(id) => Some(unit(conn, id)?),
            None => None,
        };
        out.push(ReceptionView {
            id: r.id,
            unit: unit_ref_of,
            received_at: r.received_at.and_utc(),
            place: r.place,
            kind,
            visitor_count: r.visitors,
            visitors: full.then(|| visitors.remove(&r.id).unwrap_or_default()),
            group: r.group_size.map(|size| GroupView {
                size,
                representatives: r.group_representatives.unwrap_or(0),
            }),
            summary: r.summary,
            outcome,
            outcome_note: r.outcome_note,
            referred_unit,
            refusal_ground,
            ticket_code: r.ticket_id.and_then(|t| codes.get(&t).cloned()),
            received_by: hosts.remove(&r.id).unwrap_or_default(),
            recorded_by: r.recorded_by,
            created_at: r.created_at.and_utc(),
        });
    }
    Ok(out)
}

// --- the report -------------------------------------------------------------------------

/// How the report groups receptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportGroupBy {
    /// The unit that received them.
    #[default]
    Unit,
    /// The local month (Asia/Ho_Chi_Minh) they were received in, `YYYY-MM`.
    Month,
}

/// One group's figures, the same group's a year before, and the change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportGroup {
    /// The unit id, or the month `YYYY-MM`; `total` for the totals.
    pub key: String,
    /// The unit's name in the caller's language; the month again.
    pub label: String,
    #[serde(flatten)]
    pub figures: Figures,
    /// The same group in the same period a year before (a month: the same month).
    pub previous: Figures,
    pub change_pct: Change,
}

/// The units the report covers: the register `user` reads, or the unit asked (with its
/// subtree) inside it (403 `report_scope_forbidden` outside; 422 for an unknown unit).
pub fn report_units(
    conn: &mut DbConn,
    user: &CurrentUser,
    unit_id: Option<i64>,
    include_subunits: bool,
) -> Result<Option<Vec<i64>>, AppError> {
    let (allowed, _) = readable(conn, user)?;
    let Some(unit) = unit_id else {
        return Ok(allowed);
    };
    if crate::db::units::find(conn, unit)?.is_none() {
        return Err(AppError::field("/unit_id", "unknown_unit"));
    }
    if allowed.as_ref().is_some_and(|a| !a.contains(&unit)) {
        return Err(AppError::refused(
            crate::error::Reason::Forbidden,
            "report_scope_forbidden",
        ));
    }
    let units = if include_subunits {
        crate::db::units::subtree(conn, unit)?
    } else {
        vec![unit]
    };
    Ok(Some(match allowed {
        Some(a) => units.into_iter().filter(|u| a.contains(u)).collect(),
        None => units,
    }))
}

/// What [`report`] found.
pub struct Reported {
    pub totals: ReportGroup,
    pub groups: Vec<ReportGroup>,
    /// (unit, local date) of the period's `head_day` receptions.
    pub head_days: Vec<(i64, chrono::NaiveDate)>,
}

/// A report's period: local dates, both included, and the UTC instants they span.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub start: NaiveDateTime,
    pub until: NaiveDateTime,
}

/// The receptions of `units` in `[start, until)` as the report counts them.
fn counted(
    conn: &mut DbConn,
    units: &Option<Vec<i64>>,
    (start, until): (NaiveDateTime, NaiveDateTime),
    day_end: &crate::domain::deadlines::DayEnd,
) -> Result<Vec<Counted>, AppError> {
    let rows = store::all(
        conn,
        &Filter {
            units: units.clone(),
            from: Some(start),
            until: Some(until),
            ..Filter::default()
        },
    )?;
    rows.into_iter()
        .map(|r| {
            Ok(Counted {
                unit_id: r.unit_id,
                day: day_end.local_date(r.received_at.and_utc()),
                kind: Kind::parse(&r.kind)
                    .ok_or_else(|| AppError::internal(format!("reception kind {:?}", r.kind)))?,
                visitors: r.visitors,
                crowd: r.group_size.is_some(),
                outcome: Outcome::parse(&r.outcome).ok_or_else(|| {
                    AppError::internal(format!("reception outcome {:?}", r.outcome))
                })?,
            })
        })
        .collect()
}

/// The report over `units`: the totals and the groups of the period `now`, each with the
/// same group in the period `before` (the same dates a year earlier). A group appears when
/// either period has a reception in it.
#[allow(clippy::too_many_arguments)]
pub fn report(
    conn: &mut DbConn,
    units: &Option<Vec<i64>>,
    now: Window,
    before: Window,
    today: chrono::NaiveDate,
    group_by: ReportGroupBy,
    day_end: &crate::domain::deadlines::DayEnd,
    lang: Lang,
) -> Result<Reported, AppError> {
    use std::collections::BTreeMap;
    let mut head_days = Vec::new();
    let key = |unit_id: i64, day: chrono::NaiveDate, shift_year: bool| match group_by {
        ReportGroupBy::Unit => format!("{unit_id:020}"),
        ReportGroupBy::Month => {
            let d = if shift_year {
                day.checked_add_months(chrono::Months::new(12))
                    .unwrap_or(day)
            } else {
                day
            };
            d.format("%Y-%m").to_string()
        }
    };
    let mut totals = (Tally::default(), Tally::default());
    let mut groups: BTreeMap<String, (Tally, Tally)> = BTreeMap::new();
    for (w, earlier) in [(now, false), (before, true)] {
        for c in counted(conn, units, (w.start, w.until), day_end)? {
            let (t, g) = (
                &mut totals,
                groups.entry(key(c.unit_id, c.day, earlier)).or_default(),
            );
            if earlier {
                t.1.add(&c);
                g.1.add(&c);
            } else {
                t.0.add(&c);
                g.0.add(&c);
                if c.kind == Kind::HeadDay {
                    head_days.push((c.unit_id, c.day));
                }
            }
        }
        // Published days not cancelled, up to today, count as held.
        let last = w.to.min(today);
        if last >= w.from {
            let held = crate::db::reception_days::held(conn, units.as_deref(), w.from, last)?;
            for (unit, day) in held {
                let g = groups.entry(key(unit, day, earlier)).or_default();
                if earlier {
                    totals.1.add_head_day(unit, day);
                    g.1.add_head_day(unit, day);
                } else {
                    totals.0.add_head_day(unit, day);
                    g.0.add_head_day(unit, day);
                }
            }
        }
    }
    let group = |key: String, label: String, (now, before): &(Tally, Tally)| {
        let (figures, previous) = (now.figures(), before.figures());
        ReportGroup {
            key,
            label,
            change_pct: Change::between(&figures, &previous),
            figures,
            previous,
        }
    };
    let mut out = Vec::with_capacity(groups.len());
    for (k, tallies) in &groups {
        let (key, label) = match group_by {
            ReportGroupBy::Unit => {
                let id: i64 = k.parse().unwrap_or_default();
                let name = crate::db::units::name_of(conn, id, lang)?.unwrap_or_default();
                (id.to_string(), name)
            }
            ReportGroupBy::Month => (k.clone(), k.clone()),
        };
        out.push(group(key, label, tallies));
    }
    let label = lang.pick("Tổng cộng", "Total").to_string();
    Ok(Reported {
        totals: group("total".into(), label, &totals),
        groups: out,
        head_days,
    })
}
