//! The database side of the benchmarks, through nghedan's own repository code and driver
//! (diesel over libpq or the bundled SQLite), with no HTTP in between:
//!
//! - `prepare`: bulk data (a few hundred real submissions as templates, cloned in SQL);
//! - `submit`, `inbox`, `read`: the same transactions and queries the handlers run, from N
//!   threads with one connection each: nghedan's own code without HTTP (not a floor);
//! - `floor`, `inbox-floor`, `read-floor`: the floors of issue 16, the least work any correct
//!   implementation must do for the same request, as hand-written SQL through the same driver
//!   (the baselines the HTTP figures are held to, with `pgbench` on PostgreSQL);
//! - `sweep`: times one pass of the deadline sweep;
//! - `fanout`: publishes an announcement to N followers of a province and times the fan-out
//!   until every in-app row and push is written.
//!
//! The database comes from the usual settings (`NGHEDAN__DATABASE__URL`, `NGHEDAN_ENV`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clap::{Parser, Subcommand};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, Text, Timestamp};
use nghedan::auth::CurrentUser;
use nghedan::config::Settings;
use nghedan::db::idempotency::{self, Saved};
use nghedan::db::inbox::{self, Filter, Key, Sort};
use nghedan::db::schema::{categories, tickets, users};
use nghedan::db::{self, DbConn};
use nghedan::domain::account::Role;
use nghedan::domain::ticket::{Channel, Kind};
use nghedan::error::AppError;
use nghedan::i18n::Lang;
use nghedan::state::AppState;
use nghedan::workflow::tickets::{self as repo, Access, Sender, Submission, Viewer};
use nghedan::{Dependencies, startup};
use nghedan_bench::{Recorder, parse_duration};

/// One inbox walker: pages read so far and the cursor of the next.
type Walker = std::sync::Mutex<(u32, Option<Key>)>;
/// One walker of the inbox floor: pages read so far and the next page's key (the last row's
/// due time and id).
type FloorWalker = std::sync::Mutex<(u32, Option<(Option<chrono::NaiveDateTime>, i64)>)>;

#[derive(Debug, Parser)]
#[command(about = "nghedan benchmarks: data preparation and straight-at-the-database baselines")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Fill the (migrated, demo-seeded) database with `--tickets` tickets.
    Prepare {
        #[arg(long)]
        tickets: i64,
        /// Open tickets among them (default: min(100,000, tickets / 2)).
        #[arg(long)]
        open: Option<i64>,
        /// Open tickets whose deadline check is due now (the sweep's work).
        #[arg(long, default_value_t = 1000)]
        due: i64,
        /// The submitter of every ticket.
        #[arg(long, default_value = "lan@demo.nghedan.vn")]
        citizen: String,
        /// Write codes of tickets this official may read (for the read benchmark).
        #[arg(long)]
        official: String,
        #[arg(long)]
        codes_out: std::path::PathBuf,
    },
    /// Submissions as `POST /tickets` makes them (idempotency claim, routing, clocks, event,
    /// outbox, the stored response), one transaction each.
    Submit {
        #[command(flatten)]
        load: Load,
        #[arg(long, default_value = "lan@demo.nghedan.vn")]
        citizen: String,
    },
    /// The floor of the submit benchmark (issue 16): the least work any correct submission
    /// must do — one ticket row, its first event, one outbox row, in one transaction —
    /// through the same driver (`bench/sql/submit_floor.pgbench` is the same for pgbench).
    /// Not nghedan's code path: a number to measure it against.
    Floor {
        #[command(flatten)]
        load: Load,
        #[arg(long, default_value = "lan@demo.nghedan.vn")]
        citizen: String,
        /// The unit the tickets go to.
        #[arg(long, default_value = "UBND-X31135")]
        unit: String,
    },
    /// `GET /inbox?status=open&limit=50` pages, walking by cursor `--pages` deep.
    Inbox {
        #[command(flatten)]
        load: Load,
        #[arg(long)]
        official: String,
        #[arg(long, default_value_t = 20)]
        pages: u32,
    },
    /// `GET /tickets/{code}` as the handling official: access check and the view's SELECTs.
    Read {
        #[command(flatten)]
        load: Load,
        #[arg(long)]
        official: String,
        #[arg(long)]
        codes_file: std::path::PathBuf,
    },
    /// The floor of the inbox benchmark (issue 16): the same pages as `inbox` (the official's
    /// unit's open tickets, soonest due first, 50 a page and one more to know whether another
    /// follows, `--pages` deep), each one hand-written keyset query over the partial index
    /// `tickets_unit_open_due` (a second one for the page where the dated tickets run out).
    /// Not nghedan's code path: a number to measure it against
    /// (`bench/sql/inbox_floor.pgbench` is the same for pgbench).
    InboxFloor {
        #[command(flatten)]
        load: Load,
        #[arg(long)]
        official: String,
        #[arg(long, default_value_t = 20)]
        pages: u32,
    },
    /// The floor of the read benchmark (issue 16): what `GET /tickets/{code}` shows an official
    /// of the unit, in two hand-written SELECTs — the ticket row, held by the unit and not
    /// accusing it, joined to its clocks, its submitter's contact and the codes it points to;
    /// then its attachments — over the same codes as `read`
    /// (`bench/sql/read_floor.pgbench` is the same for pgbench).
    ReadFloor {
        #[command(flatten)]
        load: Load,
        #[arg(long)]
        official: String,
        #[arg(long)]
        codes_file: std::path::PathBuf,
    },
    /// Time one pass of the deadline sweep.
    Sweep,
    /// Make N citizens following a commune of Cần Thơ (92), each with a push device, publish a
    /// province-wide announcement and time the fan-out until every in-app row and push is
    /// written.
    Fanout {
        #[arg(long, default_value_t = 100_000)]
        followers: usize,
        /// The official who publishes (of the province's committee).
        #[arg(long, default_value = "canbo.ubnd-t92@demo.nghedan.vn")]
        official: String,
    },
}

#[derive(Debug, clap::Args)]
struct Load {
    #[arg(long, default_value_t = 16)]
    connections: usize,
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    duration: Duration,
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    warmup: Duration,
    #[arg(long, default_value = "direct")]
    name: String,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    startup::install_crypto();
    let mut settings = Settings::load()?;
    if let Cmd::Submit { load, .. }
    | Cmd::Floor { load, .. }
    | Cmd::Inbox { load, .. }
    | Cmd::Read { load, .. }
    | Cmd::InboxFloor { load, .. }
    | Cmd::ReadFloor { load, .. } = &cli.cmd
    {
        settings.database.pool_size = load.connections as u32 + 1;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let state = rt.block_on(startup::prepare(settings, Dependencies::default()))?;
    match cli.cmd {
        Cmd::Prepare {
            tickets,
            open,
            due,
            citizen,
            official,
            codes_out,
        } => prepare(
            &state,
            tickets,
            open.unwrap_or((tickets / 2).min(100_000)),
            due,
            &citizen,
            &official,
            &codes_out,
        ),
        Cmd::Submit { load, citizen } => {
            let citizen = user(&state, &citizen)?;
            let n = AtomicU64::new(0);
            let run = std::process::id();
            let st = state.clone();
            drive(&state, &load, move |conn, _| {
                let i = n.fetch_add(1, Ordering::Relaxed);
                submit_once(conn, &st, citizen.id, &format!("direct-{run}-{i}"))
            })
        }
        Cmd::Floor {
            load,
            citizen,
            unit,
        } => {
            let citizen = user(&state, &citizen)?.id;
            let unit = {
                let mut conn = state.pool.get().map_err(|e| anyhow!("pool: {e}"))?;
                nghedan::db::units::find_by_code(&mut conn, &unit)?
                    .ok_or_else(|| anyhow!("no unit {unit} (is the demo seeded?)"))?
                    .id
            };
            let n = AtomicU64::new(0);
            let run = std::process::id();
            let st = state.clone();
            drive(&state, &load, move |conn, _| {
                let i = n.fetch_add(1, Ordering::Relaxed);
                floor_once(
                    conn,
                    citizen,
                    unit,
                    &format!("FLOOR.{run}.{i}"),
                    st.clock.now_naive(),
                )
            })
        }
        Cmd::Inbox {
            load,
            official,
            pages,
        } => {
            let who = user(&state, &official)?;
            let unit = who
                .unit_id
                .ok_or_else(|| anyhow!("{official} has no unit"))?;
            let walkers: Arc<Vec<Walker>> = Arc::new(
                (0..load.connections)
                    .map(|_| std::sync::Mutex::new((0, None)))
                    .collect(),
            );
            let refs = state.refs.clone();
            drive(&state, &load, move |conn, w| {
                let after = walkers[w].lock().map(|g| g.1.clone()).unwrap_or(None);
                // The scope from the unit tree held in memory, as the handler reads it: the
                // page is its one statement.
                let snapshot = refs.current(conn)?;
                let scope = db::scope::of(&mut &*snapshot, Role::Official, Some(unit))?;
                let filter = Filter {
                    statuses: Some(inbox::open_statuses()),
                    ..Filter::default()
                };
                let rows = inbox::inbox(conn, &scope, &filter, Sort::Due, after.as_ref(), 51)?;
                if let Ok(mut g) = walkers[w].lock() {
                    g.0 += 1;
                    if rows.len() < 51 || g.0 >= pages {
                        *g = (0, None);
                    } else {
                        g.1 = rows.get(49).map(|r| Key::of(Sort::Due, r));
                    }
                }
                Ok(())
            })
        }
        Cmd::Read {
            load,
            official,
            codes_file,
        } => {
            let who = user(&state, &official)?;
            let codes = read_codes(&codes_file)?;
            let next = AtomicU64::new(0);
            let st = state.clone();
            drive(&state, &load, move |conn, _| {
                let code = &codes[next.fetch_add(1, Ordering::Relaxed) as usize % codes.len()];
                let v = Viewer {
                    user: Some(who.clone()),
                    secret: None,
                };
                let ctx = st.ticket_ctx(conn)?;
                let view = repo::read(conn, code, &v, &ctx, Lang::Vi)?;
                std::hint::black_box(view);
                Ok(())
            })
        }
        Cmd::InboxFloor {
            load,
            official,
            pages,
        } => {
            let unit = floor_unit(&state, &official)?;
            check_inbox_floor(&state, &official, unit, pages)?;
            let walkers: Arc<Vec<FloorWalker>> = Arc::new(
                (0..load.connections)
                    .map(|_| std::sync::Mutex::new((0, None)))
                    .collect(),
            );
            drive(&state, &load, move |conn, w| {
                let after = walkers[w].lock().map(|g| g.1).unwrap_or(None);
                let rows = inbox_floor_page(conn, unit, after)?;
                if let Ok(mut g) = walkers[w].lock() {
                    g.0 += 1;
                    if rows.len() < 51 || g.0 >= pages {
                        *g = (0, None);
                    } else {
                        g.1 = Some((rows[49].next_due_at, rows[49].id));
                    }
                }
                std::hint::black_box(rows);
                Ok(())
            })
        }
        Cmd::ReadFloor {
            load,
            official,
            codes_file,
        } => {
            let unit = floor_unit(&state, &official)?;
            let codes = read_codes(&codes_file)?;
            check_read_floor(&state, &official, unit, &codes)?;
            let next = AtomicU64::new(0);
            drive(&state, &load, move |conn, _| {
                let code = &codes[next.fetch_add(1, Ordering::Relaxed) as usize % codes.len()];
                let found = read_floor_once(conn, unit, code)?;
                if found.0.is_empty() {
                    return Err(AppError::not_found("ticket_not_found"));
                }
                std::hint::black_box(found);
                Ok(())
            })
        }
        Cmd::Fanout {
            followers,
            official,
        } => fanout(&state, followers, &official),
        Cmd::Sweep => {
            let t0 = Instant::now();
            let swept = rt.block_on(nghedan::jobs::sweep::run(&state))?;
            let secs = t0.elapsed().as_secs_f64();
            println!(
                "{}",
                serde_json::json!({"name": "sweep", "seconds": (secs * 1000.0).round() / 1000.0,
                    "reminders": swept.reminders, "overdue": swept.overdue, "closed": swept.closed})
            );
            Ok(())
        }
    }
}

/// Runs `op` from `load.connections` threads, each with its own pooled connection, for the
/// warm-up and then the measured duration, and prints the report.
fn drive<F>(state: &AppState, load: &Load, op: F) -> anyhow::Result<()>
where
    F: Fn(&mut DbConn, usize) -> Result<(), AppError> + Send + Sync + 'static,
{
    let op = Arc::new(op);
    let run = |d: Duration| -> anyhow::Result<(Recorder, Duration)> {
        let start = Instant::now();
        let deadline = start + d;
        let mut handles = Vec::new();
        for w in 0..load.connections {
            let op = op.clone();
            let state = state.clone();
            handles.push(std::thread::spawn(move || -> anyhow::Result<Recorder> {
                let mut conn = state.pool.get().map_err(|e| anyhow!("pool: {e}"))?;
                let mut rec = Recorder::default();
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    match op(&mut conn, w) {
                        Ok(()) => rec.ok(t0.elapsed()),
                        Err(e) => rec.error(t0.elapsed(), || format!("{e}")),
                    }
                }
                Ok(rec)
            }));
        }
        let mut all = Recorder::default();
        for h in handles {
            all.merge(h.join().map_err(|_| anyhow!("a worker panicked"))??);
        }
        Ok((all, start.elapsed()))
    };
    if !load.warmup.is_zero() {
        run(load.warmup)?;
    }
    let (rec, elapsed) = run(load.duration)?;
    rec.report(&load.name, elapsed, load.connections).print();
    Ok(())
}

fn user(state: &AppState, email: &str) -> anyhow::Result<CurrentUser> {
    let mut conn = state.pool.get().map_err(|e| anyhow!("pool: {e}"))?;
    let (id, role, unit_id): (i64, String, Option<i64>) = users::table
        .filter(users::email.eq(email))
        .select((users::id, users::role, users::unit_id))
        .first(&mut *conn)
        .with_context(|| format!("no account {email} (is the demo seeded?)"))?;
    Ok(CurrentUser {
        id,
        role: Role::parse(&role).ok_or_else(|| anyhow!("bad role {role}"))?,
        unit_id,
        verified: true,
        locale: Lang::Vi,
    })
}

/// The codes of the read benchmark (`prepare --codes-out`), one a line.
fn read_codes(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let codes: Vec<String> = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect();
    if codes.is_empty() {
        bail!("no codes in {}", path.display());
    }
    Ok(codes)
}

/// The one unit whose tickets the floors' official handles. The floors write the scope as
/// `unit_id = ?` (what any implementation knows of a signed-in official once, not per request),
/// so an official whose unit also handles its subunits' tickets is refused rather than measured
/// over the wrong tickets.
fn floor_unit(state: &AppState, official: &str) -> anyhow::Result<i64> {
    let who = user(state, official)?;
    let unit = who
        .unit_id
        .ok_or_else(|| anyhow!("{official} has no unit"))?;
    let mut conn = state.pool.get().map_err(|e| anyhow!("pool: {e}"))?;
    let handled = db::scope::handled_units(&mut *conn, unit)?;
    if handled != [unit] {
        bail!(
            "the floors are written for an official of one unit; {official}'s handles {handled:?}"
        );
    }
    Ok(unit)
}

/// A bound value of a [`Prepared`] statement.
#[derive(Debug, Clone, Copy)]
enum Val<'a> {
    Int(i64),
    Text(&'a str),
    Time(chrono::NaiveDateTime),
}

/// Hand-written SQL (`?` for each bound value, on both databases) that diesel keeps prepared on
/// the connection, keyed by its text, as it keeps its query builder's statements: a floor must
/// not parse and plan again what any implementation prepares once. (`diesel::sql_query` marks
/// its statements unsafe to cache, so it would prepare on every call.)
struct Prepared<'a> {
    sql: &'static str,
    binds: Vec<Val<'a>>,
}

impl diesel::query_builder::QueryId for Prepared<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for Prepared<'_> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Prepared<'_> {}

impl<DB> diesel::query_builder::QueryFragment<DB> for Prepared<'_>
where
    DB: diesel::backend::Backend
        + diesel::sql_types::HasSqlType<BigInt>
        + diesel::sql_types::HasSqlType<Text>
        + diesel::sql_types::HasSqlType<Timestamp>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    str: diesel::serialize::ToSql<Text, DB>,
    chrono::NaiveDateTime: diesel::serialize::ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        let mut parts = self.sql.split('?');
        out.push_sql(parts.next().unwrap_or_default());
        let mut binds = self.binds.iter();
        for part in parts {
            match binds.next() {
                Some(Val::Int(v)) => out.push_bind_param::<BigInt, i64>(v)?,
                Some(Val::Text(v)) => out.push_bind_param::<Text, str>(v)?,
                Some(Val::Time(v)) => out.push_bind_param::<Timestamp, chrono::NaiveDateTime>(v)?,
                None => {
                    return Err(diesel::result::Error::QueryBuilderError(
                        "fewer values than placeholders".into(),
                    ));
                }
            }
            out.push_sql(part);
        }
        if binds.next().is_some() {
            return Err(diesel::result::Error::QueryBuilderError(
                "more values than placeholders".into(),
            ));
        }
        Ok(())
    }
}

/// Loads a [`Prepared`] statement on whichever database the connection is.
fn load<T>(conn: &mut DbConn, q: Prepared<'_>) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    match conn {
        DbConn::Postgres(c) => q.load(c),
        DbConn::Sqlite(c) => q.load(c),
    }
}

/// A row of an inbox page: the columns `GET /inbox` shows of each ticket.
#[allow(dead_code)] // read for the work of reading them
#[derive(Debug, QueryableByName)]
struct FloorInboxRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    category_code: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    area_code: String,
    #[diesel(sql_type = BigInt)]
    unit_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    assignee_id: Option<i64>,
    #[diesel(sql_type = Integer)]
    priority: i32,
    #[diesel(sql_type = Bool)]
    overdue: bool,
    #[diesel(sql_type = Nullable<Timestamp>)]
    next_due_at: Option<chrono::NaiveDateTime>,
    #[diesel(sql_type = Timestamp)]
    created_at: chrono::NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    updated_at: chrono::NaiveDateTime,
    #[diesel(sql_type = Integer)]
    supporters: i32,
}

/// The inbox floor's columns and scope: the unit's open tickets that do not accuse it, with
/// the open statuses written as the partial index's own literal list.
macro_rules! inbox_floor_sql {
    ($rest:literal) => {
        concat!(
            "SELECT id, code, kind, status, category_code, title, area_code, unit_id, \
             assignee_id, priority, overdue, next_due_at, created_at, updated_at, supporters \
             FROM tickets WHERE unit_id = ? \
             AND status IN ('submitted', 'accepted', 'awaiting_info', 'suspended') \
             AND (accused_unit_id IS NULL OR accused_unit_id <> ?) ",
            $rest
        )
    };
}

/// One inbox page of the floor (51 rows at most: 50 and one to know whether more follow) after
/// `after`, the last shown row's due time and id: the dated tickets by `(next_due_at, id)`, then,
/// when they run out within the page, those without a running clock by id — two range reads
/// of `tickets_unit_open_due` from the key on, without `NULLS LAST` (SQLite orders NULL first).
fn inbox_floor_page(
    conn: &mut DbConn,
    unit: i64,
    after: Option<(Option<chrono::NaiveDateTime>, i64)>,
) -> Result<Vec<FloorInboxRow>, AppError> {
    const FETCH: usize = 51;
    let mut rows: Vec<FloorInboxRow> = match after {
        None => load(
            conn,
            Prepared {
                sql: inbox_floor_sql!(
                    "AND next_due_at IS NOT NULL ORDER BY next_due_at, id LIMIT 51"
                ),
                binds: vec![Val::Int(unit), Val::Int(unit)],
            },
        )?,
        Some((Some(due), id)) => load(
            conn,
            Prepared {
                sql: inbox_floor_sql!(
                    "AND next_due_at IS NOT NULL AND (next_due_at, id) > (?, ?) \
                     ORDER BY next_due_at, id LIMIT 51"
                ),
                binds: vec![Val::Int(unit), Val::Int(unit), Val::Time(due), Val::Int(id)],
            },
        )?,
        Some((None, _)) => Vec::new(),
    };
    if rows.len() < FETCH {
        let left = (FETCH - rows.len()) as i64;
        let after_id = match after {
            Some((None, id)) => id,
            _ => 0,
        };
        rows.extend(load::<FloorInboxRow>(
            conn,
            Prepared {
                sql: inbox_floor_sql!(
                    "AND next_due_at IS NULL AND id > ? ORDER BY next_due_at, id LIMIT ?"
                ),
                binds: vec![
                    Val::Int(unit),
                    Val::Int(unit),
                    Val::Int(after_id),
                    Val::Int(left),
                ],
            },
        )?);
    }
    Ok(rows)
}

/// A row of the read floor's first SELECT: what the ticket view shows of the ticket (and what
/// its ETag and access need), one of its clocks, its submitter's contact and the codes of the
/// tickets it duplicates or appeals.
#[allow(dead_code)] // read for the work of reading them
#[derive(Debug, QueryableByName)]
struct FloorTicketRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    category_code: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Text)]
    area_code: String,
    #[diesel(sql_type = Nullable<Double>)]
    lat: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    lon: Option<f64>,
    #[diesel(sql_type = Nullable<Text>)]
    address: Option<String>,
    #[diesel(sql_type = Text)]
    attributes: String,
    #[diesel(sql_type = BigInt)]
    unit_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    assignee_id: Option<i64>,
    #[diesel(sql_type = Integer)]
    round: i32,
    #[diesel(sql_type = Integer)]
    priority: i32,
    #[diesel(sql_type = Bool)]
    overdue: bool,
    #[diesel(sql_type = Bool)]
    confidential: bool,
    #[diesel(sql_type = Bool)]
    public: bool,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    submitter_id: Option<i64>,
    #[diesel(sql_type = Bool)]
    anonymous: bool,
    #[diesel(sql_type = Nullable<Text>)]
    contact_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    contact_email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    contact_phone: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    contact_address: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    answer: Option<String>,
    #[diesel(sql_type = Bool)]
    answer_public: bool,
    #[diesel(sql_type = Integer)]
    supporters: i32,
    #[diesel(sql_type = Integer)]
    reopen_count: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    rating: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    rating_comment: Option<String>,
    #[diesel(sql_type = Bool)]
    complex: bool,
    #[diesel(sql_type = Bool)]
    filing_late: bool,
    #[diesel(sql_type = Bool)]
    withdrawal_requested: bool,
    #[diesel(sql_type = Nullable<Text>)]
    contested: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    accused_unit_id: Option<i64>,
    #[diesel(sql_type = Timestamp)]
    received_at: chrono::NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    accepted_at: Option<chrono::NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    resolved_at: Option<chrono::NaiveDateTime>,
    #[diesel(sql_type = Timestamp)]
    created_at: chrono::NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    updated_at: chrono::NaiveDateTime,
    #[diesel(sql_type = Integer)]
    version: i32,
    #[diesel(sql_type = Nullable<Text>)]
    clock: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    counting: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    days: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    lengths: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    extensions_used: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    starts_at: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    started_at: Option<chrono::NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    stopped_at: Option<chrono::NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    pauses: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    due_at: Option<chrono::NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    due_inputs: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    missed_at: Option<chrono::NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    submitter_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    submitter_email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    submitter_phone: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    duplicate_of: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    appeal_of: Option<String>,
}

/// An attachment as the ticket view lists it (with what decides who sees it).
#[allow(dead_code)] // read for the work of reading them
#[derive(Debug, QueryableByName)]
struct FloorAttachmentRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    media_kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    thumbnail_key: Option<String>,
    #[diesel(sql_type = Bool)]
    by_submitter: bool,
    #[diesel(sql_type = Bool)]
    publishable: bool,
}

/// The ticket `code` as an official of `unit` reads it, in two SELECTs (see `Cmd::ReadFloor`):
/// no rows when the unit may not read it.
fn read_floor_once(
    conn: &mut DbConn,
    unit: i64,
    code: &str,
) -> Result<(Vec<FloorTicketRow>, Vec<FloorAttachmentRow>), AppError> {
    let rows: Vec<FloorTicketRow> = load(
        conn,
        Prepared {
            sql: "SELECT t.id, t.code, t.kind, t.status, t.category_code, t.title, \
                  t.description, t.area_code, t.lat, t.lon, t.address, t.attributes, t.unit_id, \
                  t.assignee_id, t.round, t.priority, t.overdue, t.confidential, t.public, \
                  t.channel, t.submitter_id, t.anonymous, t.contact_name, t.contact_email, \
                  t.contact_phone, t.contact_address, t.answer, t.answer_public, t.supporters, \
                  t.reopen_count, t.rating, t.rating_comment, t.complex, t.filing_late, \
                  t.withdrawal_requested, t.contested, t.accused_unit_id, t.received_at, \
                  t.accepted_at, t.resolved_at, t.created_at, t.updated_at, t.version, \
                  c.name AS clock, c.counting, c.days, c.lengths, c.extensions_used, \
                  c.starts_at, c.started_at, c.stopped_at, c.pauses, c.due_at, c.due_inputs, \
                  c.missed_at, s.full_name AS submitter_name, s.email AS submitter_email, \
                  s.phone AS submitter_phone, d.code AS duplicate_of, a.code AS appeal_of \
                  FROM tickets t \
                  LEFT JOIN ticket_clocks c ON c.ticket_id = t.id \
                  LEFT JOIN users s ON s.id = t.submitter_id \
                  LEFT JOIN tickets d ON d.id = t.duplicate_of_id \
                  LEFT JOIN tickets a ON a.id = t.appeal_of_id \
                  WHERE t.code = ? AND t.unit_id = ? \
                  AND (t.accused_unit_id IS NULL OR t.accused_unit_id <> ?) \
                  ORDER BY c.name",
            binds: vec![Val::Text(code), Val::Int(unit), Val::Int(unit)],
        },
    )?;
    let Some(first) = rows.first() else {
        return Ok((rows, Vec::new()));
    };
    let files = load(
        conn,
        Prepared {
            sql: "SELECT id, media_kind, thumbnail_key, by_submitter, publishable FROM uploads \
                  WHERE ticket_id = ? ORDER BY attached_at",
            binds: vec![Val::Int(first.id)],
        },
    )?;
    Ok((rows, files))
}

/// Before the clock: the floor's walk (`pages` deep, or to the end) lists the same tickets in
/// the same order as nghedan's inbox query with its cursors, so the floor is not cheaper by
/// answering something else.
fn check_inbox_floor(
    state: &AppState,
    official: &str,
    unit: i64,
    pages: u32,
) -> anyhow::Result<()> {
    let who = user(state, official)?;
    let mut conn = state.pool.get().map_err(|e| anyhow!("pool: {e}"))?;
    let conn = &mut *conn;
    let scope = db::scope::of(conn, Role::Official, who.unit_id)?;
    let filter = Filter {
        statuses: Some(inbox::open_statuses()),
        ..Filter::default()
    };
    let (mut ours, mut floor) = (None, None);
    for page in 0..pages {
        let a = inbox::inbox(conn, &scope, &filter, Sort::Due, ours.as_ref(), 51)?;
        let b = inbox_floor_page(conn, unit, floor)?;
        let ia: Vec<i64> = a.iter().map(|r| r.id).collect();
        let ib: Vec<i64> = b.iter().map(|r| r.id).collect();
        if ia != ib {
            bail!("inbox floor: page {page} differs from nghedan's ({ib:?} against {ia:?})");
        }
        if a.len() < 51 {
            break;
        }
        ours = a.get(49).map(|r| Key::of(Sort::Due, r));
        floor = b.get(49).map(|r| (r.next_due_at, r.id));
    }
    Ok(())
}

/// Before the clock: for the first codes, the floor finds the ticket that nghedan's read shows,
/// with as many clocks and attachments.
fn check_read_floor(
    state: &AppState,
    official: &str,
    unit: i64,
    codes: &[String],
) -> anyhow::Result<()> {
    let who = user(state, official)?;
    let mut conn = state.pool.get().map_err(|e| anyhow!("pool: {e}"))?;
    let conn = &mut *conn;
    let v = Viewer {
        user: Some(who),
        secret: None,
    };
    for code in codes.iter().take(50) {
        let ctx = state.ticket_ctx(conn)?;
        let (_, view) = repo::read(conn, code, &v, &ctx, Lang::Vi)?;
        let (rows, files) = read_floor_once(conn, unit, code)?;
        let clocks = rows.iter().filter(|r| r.clock.is_some()).count();
        if rows.first().map(|r| r.code.as_str()) != Some(view.code.as_str())
            || clocks != view.clocks.len()
            || files.len() != view.attachments.len()
        {
            bail!(
                "read floor: {code} differs from nghedan's view ({} rows, {clocks} clocks, {} files \
                 against {} clocks, {} files)",
                rows.len(),
                files.len(),
                view.clocks.len(),
                view.attachments.len()
            );
        }
    }
    Ok(())
}

/// What `POST /tickets` does in the database for a signed-in citizen: the category and area
/// look-ups, then one write transaction (idempotency claim, the submission with its clocks,
/// event and outbox rows, the response body stored with the key).
fn submit_once(
    conn: &mut DbConn,
    state: &AppState,
    citizen: i64,
    key: &str,
) -> Result<(), AppError> {
    let cat = nghedan::db::categories::find(conn, "duong-hong")?
        .ok_or_else(|| AppError::internal("no category duong-hong"))?;
    nghedan::db::areas::find(conn, "31135")?;
    let s = Submission {
        kind: Kind::Feedback,
        category: cat.code.clone(),
        title: "Ổ gà trước số 12".into(),
        description: "Ổ gà lớn, xe máy dễ ngã.".into(),
        lat: None,
        lon: None,
        area_code: "31135".into(),
        address: None,
        attributes: serde_json::json!({"size": "large"}),
        private: false,
        channel: Channel::App,
        sender: Sender::Citizen { user_id: citizen },
        accused_unit_id: None,
        contested: None,
        filing_late: false,
        attachments: vec![],
        appeal_of: None,
        round: 1,
        actor: Some((citizen, Role::Citizen)),
    };
    let scope = format!("user:{citizen}");
    let now = state.clock.now_naive();
    db::write(conn, |c| {
        let ctx = state.ticket_ctx(c)?;
        let repo::Submitted {
            ticket: t,
            clocks,
            submitter,
        } = repo::submit_returning(c, &s, &ctx)?;
        let known = repo::Known {
            clocks: Some(&clocks),
            submitter: submitter.as_ref().map(Some),
            no_attachments: true,
        };
        let v = repo::view_known(c, &t, known, Access::Submitter, &ctx, Lang::Vi, None)?;
        let body = serde_json::to_string(&v).map_err(|e| AppError::internal(e.to_string()))?;
        idempotency::save(
            c,
            &scope,
            key,
            "bench",
            now,
            &Saved {
                status: 201,
                body,
                resource: Some(t.code),
            },
        )?;
        Ok(())
    })
}

/// One floor transaction (see `Cmd::Floor`): three INSERTs with bound values.
fn floor_once(
    conn: &mut DbConn,
    citizen: i64,
    unit: i64,
    code: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    // The same statements for both databases but for the placeholders ($n or ?).
    let sql = |text: &str, pg: bool| -> String {
        if !pg {
            return text.to_string();
        }
        let mut out = String::new();
        for (i, part) in text.split('?').enumerate() {
            if i > 0 {
                out.push_str(&format!("${i}"));
            }
            out.push_str(part);
        }
        out
    };
    const TICKET: &str = "INSERT INTO tickets (code, kind, category_code, title, description, \
        search_text, area_code, attributes, submitter_id, channel, status, unit_id, \
        received_at, created_at, updated_at) VALUES (?, 'feedback', 'duong-hong', \
        'Ổ gà trước số 12', 'Ổ gà lớn, xe máy dễ ngã.', 'o ga truoc so 12 o ga lon, xe may de nga.', \
        '31135', '{\"size\": \"large\"}', ?, 'app', 'submitted', ?, ?, ?, ?) RETURNING id";
    const EVENT: &str = "INSERT INTO ticket_events (ticket_id, seq, kind, actor_id, actor_role, \
        unit_id, to_status, public, data, created_at, prev_hash, hash) VALUES (?, 1, 'submitted', \
        ?, 'citizen', ?, 'submitted', TRUE, '{\"channel\": \"app\"}', ?, ?, ?)";
    const OUTBOX: &str = "INSERT INTO outbox (channel, user_id, template, locale, data, dedup_key, \
        state, next_attempt_at, created_at) VALUES ('email', ?, 'ticket_received', 'vi', ?, ?, \
        'queued', ?, ?)";
    let zero = "0".repeat(64);
    let hash = nghedan::auth::tokens::hash_token(code);
    macro_rules! three {
        ($c:expr, $pg:expr) => {{
            let id: Id = diesel::sql_query(sql(TICKET, $pg))
                .bind::<Text, _>(code)
                .bind::<BigInt, _>(citizen)
                .bind::<BigInt, _>(unit)
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(now)
                .get_result($c)?;
            diesel::sql_query(sql(EVENT, $pg))
                .bind::<BigInt, _>(id.id)
                .bind::<BigInt, _>(citizen)
                .bind::<BigInt, _>(unit)
                .bind::<Timestamp, _>(now)
                .bind::<Text, _>(&zero)
                .bind::<Text, _>(&hash)
                .execute($c)?;
            diesel::sql_query(sql(OUTBOX, $pg))
                .bind::<BigInt, _>(citizen)
                .bind::<Text, _>(format!("{{\"ticket_id\": {}}}", id.id))
                .bind::<Text, _>(format!("floor:{}", id.id))
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(now)
                .execute($c)?;
        }};
    }
    db::write(conn, |c| {
        match c {
            DbConn::Postgres(pg) => three!(pg, true),
            DbConn::Sqlite(lite) => three!(lite, false),
        }
        Ok::<_, AppError>(())
    })
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct CodeRow {
    #[diesel(sql_type = Text)]
    code: String,
}

fn prepare(
    state: &AppState,
    n: i64,
    open: i64,
    due: i64,
    citizen: &str,
    official: &str,
    codes_out: &std::path::Path,
) -> anyhow::Result<()> {
    let citizen = user(state, citizen)?;
    let official = user(state, official)?;
    let mut pooled = state.pool.get().map_err(|e| anyhow!("pool: {e}"))?;
    let conn: &mut DbConn = &mut pooled;
    let existing: i64 = tickets::table.count().get_result(conn)?;
    if existing > 0 {
        bail!("the database already has {existing} tickets: prepare wants a fresh one");
    }
    // Templates: every leaf category in every commune some unit covers, submitted for real.
    let leaves: Vec<(String, String)> = categories::table
        .filter(categories::active.eq(true))
        .select((categories::code, categories::default_kind))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let parents: Vec<Option<String>> = categories::table
        .select(categories::parent_code)
        .load(conn)?;
    let leaves: Vec<(String, String)> = leaves
        .into_iter()
        .filter(|(c, _)| !parents.iter().any(|p| p.as_deref() == Some(c)))
        .collect();
    let communes: Vec<CodeRow> = diesel::sql_query(
        "SELECT DISTINCT a.code AS code FROM unit_areas ua JOIN areas a ON a.code = ua.area_code \
         WHERE a.level = 'commune' ORDER BY a.code",
    )
    .load(conn)?;
    let mut templates = 0;
    for area in &communes {
        for (cat, kind) in &leaves {
            let kind = Kind::parse(kind).unwrap_or(Kind::Feedback);
            let s = Submission {
                kind,
                category: cat.clone(),
                title: format!("Phản ánh {cat} tại {}", area.code),
                description: "Nội dung phản ánh của người dân, đủ dài để giống thật: địa điểm, \
                              thời gian, mức độ ảnh hưởng."
                    .into(),
                lat: None,
                lon: None,
                area_code: area.code.clone(),
                address: Some("Số 12, đường 30/4".into()),
                attributes: serde_json::json!({}),
                private: false,
                channel: Channel::App,
                sender: Sender::Citizen {
                    user_id: citizen.id,
                },
                accused_unit_id: None,
                contested: None,
                filing_late: false,
                attachments: vec![],
                appeal_of: None,
                round: 1,
                actor: Some((citizen.id, Role::Citizen)),
            };
            let done = db::write(conn, |c| {
                let ctx = state.ticket_ctx(c)?;
                repo::submit(c, &s, &ctx)
            });
            if done.is_ok() {
                templates += 1;
            }
        }
    }
    if templates == 0 {
        bail!("no template ticket could be submitted (is the demo seeded?)");
    }
    eprintln!("prepare: {templates} template tickets submitted; cloning into {n}");
    let base: i64 = diesel::sql_query("SELECT COALESCE(MAX(id), 0) AS id FROM tickets")
        .get_result::<Id>(conn)?
        .id;
    let now = state
        .clock
        .now_naive()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let script = match conn {
        DbConn::Postgres(_) => include_str!("../../../sql/postgres.sql"),
        DbConn::Sqlite(_) => include_str!("../../../sql/sqlite.sql"),
    };
    let script = script
        .replace("{N}", &n.to_string())
        .replace("{OPEN}", &open.min(n).to_string())
        .replace("{DUE}", &due.min(open).to_string())
        .replace("{T}", &templates.to_string())
        .replace("{BASE}", &base.to_string())
        .replace("{NOW}", &now);
    let t0 = Instant::now();
    conn.batch_execute(
        "CREATE TABLE bench_templates (n BIGINT PRIMARY KEY, ticket_id BIGINT NOT NULL)",
    )?;
    conn.batch_execute(
        "INSERT INTO bench_templates (n, ticket_id) \
         SELECT ROW_NUMBER() OVER (ORDER BY id) - 1, id FROM tickets",
    )?;
    if let DbConn::Sqlite(lite) = conn {
        lite.batch_execute("PRAGMA cache_size = -262144")?;
    }
    conn.batch_execute(&script)?;
    conn.batch_execute("DROP TABLE bench_templates")?;
    eprintln!("prepare: cloned in {:.1} s", t0.elapsed().as_secs_f64());
    // What `nghedan migrate` does for tickets written before clock summaries existed.
    let t0 = Instant::now();
    let cal = nghedan::db::calendar::load(conn)?;
    let day_end = state.settings.deadlines.day_end();
    let summarised = nghedan::db::clocks::summarise_missing(
        conn,
        &cal,
        &day_end,
        state.clock.now(),
        &nghedan::progress::Progress::none(),
    )?;
    eprintln!(
        "prepare: {summarised} clock summaries in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    // As after any bulk load: the summaries rewrote every ticket row, and PostgreSQL answers
    // from an index alone only for pages its visibility map marks (VACUUM sets it).
    // Then a checkpoint, so that the gigabytes just written reach the disk now and not in the
    // middle of a measurement (a half-second stall of the inbox's open loop, seen once).
    let after_load: &[&str] = match conn {
        // One command a call: VACUUM refuses to run in a string of several.
        DbConn::Postgres(_) => &["VACUUM ANALYZE", "CHECKPOINT"],
        DbConn::Sqlite(_) => &["ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"],
    };
    for command in after_load {
        conn.batch_execute(command)?;
    }
    // Codes the official may read: spread over the unit's tickets, open and closed.
    let units = db::scope::handled_units(conn, official.unit_id.unwrap_or(-1))?;
    let codes: Vec<String> = tickets::table
        .filter(tickets::unit_id.eq_any(units))
        .filter(tickets::id.gt(base))
        .order(tickets::id.asc())
        .select(tickets::code)
        .load(conn)?;
    let step = (codes.len() / 2000).max(1);
    let picked: Vec<&str> = codes.iter().step_by(step).map(String::as_str).collect();
    std::fs::write(codes_out, picked.join("\n") + "\n")?;
    let total: i64 = tickets::table.count().get_result(conn)?;
    eprintln!(
        "prepare: {total} tickets ({open} open, {due} due for the sweep); {} codes for {} in {}",
        picked.len(),
        official.id,
        codes_out.display()
    );
    Ok(())
}

/// Runs `$insert` (a multi-row INSERT) on whichever backend `$conn` is: diesel's
/// `MultiConnection` cannot run multi-row inserts itself.
macro_rules! insert_rows {
    ($conn:expr, $insert:expr) => {
        match $conn {
            DbConn::Postgres(c) => $insert.execute(c),
            DbConn::Sqlite(c) => $insert.execute(c),
        }
    };
}

/// The `fanout` row: N followers of province 92's first commune, each with an FCM device;
/// one province-wide announcement; the time until the fan-out has written every in-app row
/// and every push (delivery itself is the outbox's, measured elsewhere).
fn fanout(state: &AppState, followers: usize, official: &str) -> anyhow::Result<()> {
    use nghedan::db::schema::{
        announcement_fanouts, areas, devices, notifications, outbox, resident_areas,
    };
    use nghedan::notify::recipients::{Delivery, PushChannels};
    use nghedan::workflow::announcements as work;
    let who = user(state, official)?;
    let mut conn = state.pool.get().map_err(|e| anyhow!("pool: {e}"))?;
    let conn = &mut *conn;
    let now = chrono::Utc::now().naive_utc();
    let commune: String = areas::table
        .filter(areas::parent_code.eq("92"))
        .order(areas::code.asc())
        .select(areas::code)
        .first(conn)?;
    let run = std::process::id();
    let t0 = Instant::now();
    for start in (0..followers).step_by(1_000) {
        let end = (start + 1_000).min(followers);
        db::write(conn, |c| -> anyhow::Result<()> {
            let emails: Vec<String> = (start..end)
                .map(|i| format!("fanout-{run}-{i}@bench.nghedan.vn"))
                .collect();
            let rows: Vec<_> = (start..end)
                .zip(&emails)
                .map(|(i, email)| {
                    (
                        users::email.eq(email),
                        users::full_name.eq(format!("Cư dân {i}")),
                        users::password_hash.eq("!bench"),
                        users::role.eq("citizen"),
                        users::verified.eq(true),
                        users::created_at.eq(now),
                        users::updated_at.eq(now),
                    )
                })
                .collect();
            insert_rows!(c, diesel::insert_into(users::table).values(&rows))?;
            let ids: Vec<i64> = users::table
                .filter(users::email.eq_any(&emails))
                .select(users::id)
                .load(c)?;
            let follows: Vec<_> = ids
                .iter()
                .map(|id| {
                    (
                        resident_areas::user_id.eq(*id),
                        resident_areas::area_code.eq(&commune),
                        resident_areas::created_at.eq(now),
                    )
                })
                .collect();
            insert_rows!(
                c,
                diesel::insert_into(resident_areas::table).values(&follows)
            )?;
            let phones: Vec<_> = ids
                .iter()
                .map(|id| {
                    (
                        devices::user_id.eq(*id),
                        devices::platform.eq("fcm"),
                        devices::address.eq(format!("fcm-bench-{run}-{id}")),
                        devices::created_at.eq(now),
                        devices::updated_at.eq(now),
                    )
                })
                .collect();
            insert_rows!(c, diesel::insert_into(devices::table).values(&phones))?;
            Ok(())
        })?;
    }
    eprintln!(
        "fanout: {followers} followers of {commune} made in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let draft = work::Draft {
        title: "Thông báo toàn tỉnh: lịch cắt điện".into(),
        body: "Lịch cắt điện để bảo trì lưới điện toàn tỉnh.".into(),
        topic: "emergency".into(),
        area_codes: vec!["92".into()],
        attachments: Vec::new(),
        publish_at: None,
        expires_at: None,
        pinned: false,
    };
    let id = db::write(conn, |c| -> Result<i64, AppError> {
        let made = work::create(c, &who, &draft, now)?;
        work::publish(c, &who, made.row.id, now)?;
        Ok(made.row.id)
    })?;
    // As the jobs do, with FCM on (the bench has no push service; delivery is not measured).
    let delivery = Delivery {
        push: PushChannels {
            fcm: true,
            apns: false,
            webpush: false,
        },
        push_not_before: None,
    };
    let t0 = Instant::now();
    let mut people = 0;
    loop {
        let pass = work::fan_out(
            conn,
            &delivery,
            nghedan::jobs::FANOUT_BATCH,
            nghedan::jobs::FANOUT_BATCHES_PER_PASS,
            chrono::Utc::now().naive_utc(),
        )?;
        people += pass.people;
        let done: Option<chrono::NaiveDateTime> = announcement_fanouts::table
            .find(id)
            .select(announcement_fanouts::finished_at)
            .first(conn)?;
        if done.is_some() {
            break;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let key = format!("announcement:{id}:%");
    let in_app: i64 = notifications::table
        .filter(notifications::dedup_key.like(&key))
        .count()
        .get_result(conn)?;
    let pushes: i64 = outbox::table
        .filter(outbox::dedup_key.like(&key))
        .filter(outbox::channel.eq("push"))
        .count()
        .get_result(conn)?;
    if in_app < followers as i64 || pushes < followers as i64 {
        bail!("fanout: {in_app} in-app rows and {pushes} pushes for {followers} followers");
    }
    println!(
        "{}",
        serde_json::json!({"name": "fanout", "followers": followers, "people": people,
            "in_app": in_app, "pushes": pushes, "seconds": (secs * 1000.0).round() / 1000.0,
            "per_second": (followers as f64 / secs).round()})
    );
    Ok(())
}
