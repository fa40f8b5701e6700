//! The database side of the benchmarks, through nghedan's own repository code and driver
//! (diesel over libpq or the bundled SQLite), with no HTTP in between:
//!
//! - `prepare`: bulk data (a few hundred real submissions as templates, cloned in SQL);
//! - `submit`, `inbox`, `read`: the same transactions and queries the handlers run, from N
//!   threads with one connection each: the baseline each HTTP figure is compared with;
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
use diesel::sql_types::{BigInt, Text};
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
    | Cmd::Read { load, .. } = &cli.cmd
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
            drive(&state, &load, move |conn, w| {
                let after = walkers[w].lock().map(|g| g.1.clone()).unwrap_or(None);
                let scope = db::scope::of(conn, Role::Official, Some(unit))?;
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
            let codes: Vec<String> = std::fs::read_to_string(&codes_file)
                .with_context(|| format!("cannot read {}", codes_file.display()))?
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_string())
                .collect();
            if codes.is_empty() {
                bail!("no codes in {}", codes_file.display());
            }
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
    use diesel::sql_types::Timestamp;
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
    conn.batch_execute(match conn {
        DbConn::Postgres(_) => "VACUUM ANALYZE",
        DbConn::Sqlite(_) => "ANALYZE",
    })?;
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
