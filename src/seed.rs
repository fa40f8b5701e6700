//! The demo organisation (`nghedan seed demo`): a coordinating unit; five provinces, each with
//! its people's committee, three departments and the police, five communes with their
//! committees and people's inspection boards; a real category tree; routing rules; and
//! accounts with a fixed demo password. For the `local` environment only; running it again
//! changes nothing.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::schema::routing_rules;
use crate::db::{self, DbConn, areas, categories, units};
use crate::domain::account::Role;
use crate::domain::attributes::Attribute;
use crate::domain::text::fold;
use crate::error::AppError;
use crate::i18n::Lang;

/// Every demo account signs in with this password.
pub const DEMO_PASSWORD: &str = "nghe-dan-demo-2026";

/// The provinces of the demo: An Giang, Cần Thơ, Nghệ An, Lâm Đồng, Quảng Ninh.
pub const PROVINCES: &[&str] = &["91", "92", "40", "68", "22"];
const COMMUNES_PER_PROVINCE: usize = 5;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub units: usize,
    pub categories: usize,
    pub rules: usize,
    pub users: usize,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        *self == Report::default()
    }
}

/// The demo accounts worth knowing, for the command's output and the README.
pub fn key_accounts() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin@demo.nghedan.vn", "administrator"),
        ("lan@demo.nghedan.vn", "citizen (Nguyễn Thị Lan)"),
        ("minh@demo.nghedan.vn", "citizen (Trần Văn Minh)"),
        (
            "canbo.ubnd-x31135@demo.nghedan.vn",
            "official, People's Committee of Phường Ninh Kiều (Cần Thơ)",
        ),
        (
            "canbo.snnmt-92@demo.nghedan.vn",
            "official, Cần Thơ Department of Agriculture and Environment",
        ),
        (
            "giamsat.tinh@demo.nghedan.vn",
            "supervisor overseeing the People's Committee of Cần Thơ (province)",
        ),
        (
            "giamsat.xa@demo.nghedan.vn",
            "supervisor overseeing the People's Committee of Phường Ninh Kiều",
        ),
    ]
}

/// English for a Vietnamese place name: `Phường Ninh Kiều` → `Ninh Kieu Ward`.
fn english_place(name: &str) -> String {
    let (kind, rest) = [
        ("Thành phố ", "City"),
        ("Tỉnh ", "Province"),
        ("Phường ", "Ward"),
        ("Xã ", "Commune"),
        ("Đặc khu ", "Special Zone"),
    ]
    .iter()
    .find_map(|(prefix, en)| name.strip_prefix(prefix).map(|r| (*en, r)))
    .unwrap_or(("", name));
    let title: Vec<String> = fold(rest)
        .split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{} {kind}", title.join(" ")).trim().to_string()
}

struct Seeder<'a> {
    conn: &'a mut DbConn,
    now: NaiveDateTime,
    password_hash: &'a str,
    report: Report,
}

impl Seeder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn unit(
        &mut self,
        code: &str,
        name_vi: &str,
        name_en: &str,
        kind: &str,
        parent: Option<i64>,
        areas: &[&str],
        coordinator: bool,
    ) -> Result<i64, AppError> {
        if let Some(u) = units::find_by_code(self.conn, code)? {
            return Ok(u.id);
        }
        let u = crate::workflow::units::create(
            self.conn,
            units::Fields {
                code: Some(code.into()),
                name_vi: Some(name_vi.into()),
                name_en: Some(name_en.into()),
                kind: Some(kind.into()),
                parent_id: Some(parent),
                email: Some(Some(format!("{}@demo.nghedan.vn", code.to_lowercase()))),
                sees_subunits: Some(kind == "people_committee" && parent.is_none()),
                is_coordinator: Some(coordinator),
                area_codes: Some(areas.iter().map(|a| a.to_string()).collect()),
                ..Default::default()
            },
            self.now,
        )?;
        self.report.units += 1;
        self.user(
            &format!("canbo.{}@demo.nghedan.vn", code.to_lowercase()),
            &format!("Cán bộ {name_vi}"),
            Role::Official,
            Some(u.id),
        )?;
        Ok(u.id)
    }

    fn user(
        &mut self,
        email: &str,
        name: &str,
        role: Role,
        unit_id: Option<i64>,
    ) -> Result<(), AppError> {
        if db::users::find_by_email(self.conn, email)?.is_some() {
            return Ok(());
        }
        crate::workflow::accounts::create(
            self.conn,
            &db::users::NewUser {
                email,
                phone: None,
                full_name: name,
                password_hash: self.password_hash,
                role,
                unit_id,
                locale: Lang::Vi,
                verified: true,
            },
            self.now,
        )?;
        self.report.users += 1;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn category(
        &mut self,
        code: &str,
        parent: Option<&str>,
        name_vi: &str,
        name_en: &str,
        kind: &str,
        urgent: bool,
        attributes: serde_json::Value,
    ) -> Result<(), AppError> {
        if categories::find(self.conn, code)?.is_some() {
            return Ok(());
        }
        let attributes: Vec<Attribute> = serde_json::from_value(attributes)
            .map_err(|e| AppError::internal(format!("demo attributes of {code}: {e}")))?;
        crate::workflow::categories::create(
            self.conn,
            categories::Fields {
                code: Some(code.into()),
                parent_code: Some(parent.map(str::to_string)),
                name_vi: Some(name_vi.into()),
                name_en: Some(name_en.into()),
                default_kind: Some(kind.into()),
                urgent: Some(urgent),
                attributes: Some(attributes),
                sort_order: Some(self.report.categories as i32),
                ..Default::default()
            },
            self.now,
        )?;
        self.report.categories += 1;
        Ok(())
    }

    fn rule(
        &mut self,
        category: &str,
        area: &str,
        kind: Option<&str>,
        unit_id: i64,
    ) -> Result<(), AppError> {
        use diesel::prelude::*;
        let exists = routing_rules::table
            .filter(routing_rules::category_code.eq(category))
            .filter(routing_rules::area_code.eq(area))
            .filter(routing_rules::unit_id.eq(unit_id))
            .count()
            .get_result::<i64>(self.conn)?;
        if exists > 0 {
            return Ok(());
        }
        crate::workflow::routing_rules::create(
            self.conn,
            db::routing_rules::Fields {
                category_code: Some(category.into()),
                area_code: Some(Some(area.into())),
                kind: Some(kind.map(str::to_string)),
                unit_id: Some(unit_id),
                priority: Some(100),
            },
            self.now,
        )?;
        self.report.rules += 1;
        Ok(())
    }
}

fn list(values: &[(&str, &str, &str)]) -> serde_json::Value {
    values
        .iter()
        .map(|(k, vi, en)| json!({"key": k, "name": {"vi": vi, "en": en}}))
        .collect()
}

/// (code, parent, name vi, name en, default kind, urgent, attributes)
type CategoryRow<'a> = (
    &'a str,
    Option<&'a str>,
    &'a str,
    &'a str,
    &'a str,
    bool,
    serde_json::Value,
);

fn categories(s: &mut Seeder) -> Result<(), AppError> {
    let none = json!([]);
    let size = json!([
        {"code": "size", "datatype": "singlevaluelist", "required": true, "order": 1,
         "description": {"vi": "Kích thước hư hỏng", "en": "Size of the damage"},
         "values": list(&[("small", "Nhỏ (dưới 30 cm)", "Small (under 30 cm)"),
                          ("medium", "Vừa (30 cm – 1 m)", "Medium (30 cm – 1 m)"),
                          ("large", "Lớn (trên 1 m)", "Large (over 1 m)")])},
        {"code": "depth_cm", "datatype": "number", "order": 2,
         "description": {"vi": "Độ sâu ước tính (cm)", "en": "Estimated depth (cm)"}}
    ]);
    let when = json!([
        {"code": "time_of_day", "datatype": "singlevaluelist", "required": true, "order": 1,
         "description": {"vi": "Thường xảy ra lúc", "en": "Usually happens"},
         "values": list(&[("day", "Ban ngày", "During the day"), ("evening", "Buổi tối", "In the evening"),
                          ("night", "Ban đêm (22h–6h)", "At night (22:00–06:00)")])},
        {"code": "source", "datatype": "string", "order": 2,
         "description": {"vi": "Nguồn gây ồn", "en": "Source of the noise"}}
    ]);
    let flood = json!([
        {"code": "depth_cm", "datatype": "number", "required": true, "order": 1,
         "description": {"vi": "Mức nước ngập (cm)", "en": "Water depth (cm)"}},
        {"code": "blocked", "datatype": "multivaluelist", "order": 2,
         "description": {"vi": "Bị ảnh hưởng", "en": "Affected"},
         "values": list(&[("road", "Đường đi", "Road"), ("homes", "Nhà dân", "Homes"),
                          ("school", "Trường học", "School")])}
    ]);
    let light = json!([
        {"code": "pole_number", "datatype": "string", "order": 1,
         "description": {"vi": "Số hiệu cột đèn (nếu có)", "en": "Pole number (if any)"}},
        {"code": "lights_out", "datatype": "number", "order": 2,
         "description": {"vi": "Số bóng không sáng", "en": "Lights out"}}
    ]);
    let rubbish = json!([
        {"code": "volume", "datatype": "singlevaluelist", "required": true, "order": 1,
         "description": {"vi": "Khối lượng", "en": "Amount"},
         "values": list(&[("bags", "Vài túi", "A few bags"), ("pile", "Một đống", "A pile"),
                          ("dump", "Bãi rác tự phát", "An illegal dump")])}
    ]);
    let decision = json!([
        {"code": "decision_number", "datatype": "string", "order": 1,
         "description": {"vi": "Số quyết định bị khiếu nại", "en": "Number of the contested decision"}},
        {"code": "decision_date", "datatype": "datetime", "order": 2,
         "description": {"vi": "Ngày quyết định", "en": "Date of the decision"}}
    ]);
    let rows: Vec<CategoryRow> = vec![
        (
            "giao-thong",
            None,
            "Giao thông",
            "Roads and traffic",
            "feedback",
            false,
            none.clone(),
        ),
        (
            "duong-hong",
            Some("giao-thong"),
            "Đường hư hỏng, ổ gà",
            "Damaged road, potholes",
            "feedback",
            false,
            size,
        ),
        (
            "den-duong",
            Some("giao-thong"),
            "Đèn đường hỏng",
            "Street lighting out",
            "feedback",
            false,
            light,
        ),
        (
            "den-tin-hieu",
            Some("giao-thong"),
            "Đèn tín hiệu giao thông",
            "Traffic lights",
            "feedback",
            true,
            none.clone(),
        ),
        (
            "lan-chiem-via-he",
            Some("giao-thong"),
            "Lấn chiếm vỉa hè, lòng đường",
            "Pavement occupied",
            "feedback",
            false,
            none.clone(),
        ),
        (
            "moi-truong",
            None,
            "Môi trường",
            "Environment",
            "feedback",
            false,
            none.clone(),
        ),
        (
            "rac-thai",
            Some("moi-truong"),
            "Rác thải, vệ sinh",
            "Rubbish and cleanliness",
            "feedback",
            false,
            rubbish,
        ),
        (
            "tieng-on",
            Some("moi-truong"),
            "Tiếng ồn",
            "Noise",
            "feedback",
            false,
            when,
        ),
        (
            "o-nhiem-khong-khi",
            Some("moi-truong"),
            "Ô nhiễm không khí, khói bụi",
            "Air pollution, smoke and dust",
            "feedback",
            false,
            none.clone(),
        ),
        (
            "nuoc-thai",
            Some("moi-truong"),
            "Nước thải",
            "Waste water",
            "feedback",
            false,
            none.clone(),
        ),
        (
            "ha-tang",
            None,
            "Hạ tầng đô thị",
            "Urban infrastructure",
            "feedback",
            false,
            none.clone(),
        ),
        (
            "cap-nuoc",
            Some("ha-tang"),
            "Cấp nước sinh hoạt",
            "Water supply",
            "feedback",
            false,
            none.clone(),
        ),
        (
            "ngap-ung",
            Some("ha-tang"),
            "Ngập úng, thoát nước",
            "Flooding and drainage",
            "feedback",
            true,
            flood,
        ),
        (
            "cay-xanh",
            Some("ha-tang"),
            "Cây xanh gãy đổ",
            "Fallen or dangerous trees",
            "feedback",
            true,
            none.clone(),
        ),
        (
            "dat-dai",
            None,
            "Đất đai",
            "Land",
            "complaint",
            false,
            none.clone(),
        ),
        (
            "tranh-chap-dat",
            Some("dat-dai"),
            "Tranh chấp đất đai",
            "Land disputes",
            "complaint",
            false,
            none.clone(),
        ),
        (
            "thu-hoi-boi-thuong",
            Some("dat-dai"),
            "Thu hồi đất, bồi thường",
            "Land acquisition and compensation",
            "complaint",
            false,
            decision,
        ),
        (
            "xay-dung",
            None,
            "Trật tự xây dựng",
            "Construction order",
            "feedback",
            false,
            none.clone(),
        ),
        (
            "xay-dung-trai-phep",
            Some("xay-dung"),
            "Xây dựng trái phép",
            "Unlicensed building",
            "feedback",
            false,
            none.clone(),
        ),
        (
            "dich-vu-cong",
            None,
            "Dịch vụ công",
            "Public services",
            "petition",
            false,
            none.clone(),
        ),
        (
            "thu-tuc-hanh-chinh",
            Some("dich-vu-cong"),
            "Thủ tục hành chính",
            "Administrative procedures",
            "petition",
            false,
            none.clone(),
        ),
        (
            "y-te",
            Some("dich-vu-cong"),
            "Y tế",
            "Health care",
            "petition",
            false,
            none.clone(),
        ),
        (
            "giao-duc",
            Some("dich-vu-cong"),
            "Giáo dục",
            "Education",
            "petition",
            false,
            none.clone(),
        ),
        (
            "can-bo",
            None,
            "Cán bộ, công chức",
            "Officials' conduct",
            "feedback",
            false,
            none.clone(),
        ),
        (
            "thai-do-phuc-vu",
            Some("can-bo"),
            "Thái độ phục vụ",
            "Attitude of officials",
            "feedback",
            false,
            none.clone(),
        ),
        (
            "tham-nhung",
            Some("can-bo"),
            "Tham nhũng, tiêu cực",
            "Corruption and abuse of office",
            "denunciation",
            false,
            none.clone(),
        ),
        (
            "an-ninh-trat-tu",
            None,
            "An ninh trật tự",
            "Security and public order",
            "feedback",
            false,
            none,
        ),
    ];
    for (code, parent, vi, en, kind, urgent, attrs) in rows {
        s.category(code, parent, vi, en, kind, urgent, attrs)?;
    }
    Ok(())
}

/// Seeds the demo organisation; `password_hash` is the argon2 hash of [`DEMO_PASSWORD`].
pub fn demo(
    conn: &mut DbConn,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<Report, AppError> {
    db::write(conn, |conn| {
        let mut s = Seeder {
            conn,
            now,
            password_hash,
            report: Report::default(),
        };
        categories(&mut s)?;
        s.unit(
            "DIEU-PHOI",
            "Ban Tiếp công dân (điều phối)",
            "Citizen Reception Office (coordination)",
            "other",
            None,
            &[],
            true,
        )?;
        let mut overseen = Vec::new();
        for province in PROVINCES {
            let p = areas::find(s.conn, province)?
                .ok_or_else(|| AppError::internal(format!("province {province} missing")))?;
            let (pvi, pen) = (p.name.clone(), english_place(&p.name));
            let short = p
                .name
                .strip_prefix("Tỉnh ")
                .or_else(|| p.name.strip_prefix("Thành phố "))
                .unwrap_or(&p.name)
                .to_string();
            let short_en = english_place(&short);
            let pc = s.unit(
                &format!("UBND-T{province}"),
                &format!("Ủy ban nhân dân {pvi}"),
                &format!("People's Committee of {pen}"),
                "people_committee",
                None,
                &[province],
                false,
            )?;
            let construction = s.unit(
                &format!("SXD-{province}"),
                &format!("Sở Xây dựng {short}"),
                &format!("{short_en} Department of Construction"),
                "department",
                Some(pc),
                &[],
                false,
            )?;
            let environment = s.unit(
                &format!("SNNMT-{province}"),
                &format!("Sở Nông nghiệp và Môi trường {short}"),
                &format!("{short_en} Department of Agriculture and Environment"),
                "department",
                Some(pc),
                &[],
                false,
            )?;
            let inspectorate = s.unit(
                &format!("TT-{province}"),
                &format!("Thanh tra {short}"),
                &format!("{short_en} Provincial Inspectorate"),
                "department",
                Some(pc),
                &[],
                false,
            )?;
            let police = s.unit(
                &format!("CA-{province}"),
                &format!("Công an {short}"),
                &format!("{short_en} Provincial Police"),
                "other",
                None,
                &[],
                false,
            )?;
            let filter = areas::Filter {
                parent: Some(province.to_string()),
                ..Default::default()
            };
            let communes = areas::list(s.conn, &filter, None, COMMUNES_PER_PROVINCE as i64)?;
            for c in &communes {
                let cpc = s.unit(
                    &format!("UBND-X{}", c.code),
                    &format!("Ủy ban nhân dân {}", c.name),
                    &format!("People's Committee of {}", english_place(&c.name)),
                    "people_committee",
                    Some(pc),
                    &[c.code.as_str()],
                    false,
                )?;
                s.unit(
                    &format!("BTTND-{}", c.code),
                    &format!("Ban Thanh tra nhân dân {}", c.name),
                    &format!("People's Inspection Board of {}", english_place(&c.name)),
                    "inspection_board",
                    Some(cpc),
                    &[],
                    false,
                )?;
                if c.code == "31135" {
                    overseen.push((
                        "giamsat.xa@demo.nghedan.vn",
                        "Ban Thanh tra nhân dân Phường Ninh Kiều",
                        cpc,
                    ));
                }
            }
            s.rule("dat-dai", province, None, environment)?;
            s.rule("moi-truong", province, None, environment)?;
            s.rule("xay-dung", province, None, construction)?;
            s.rule("tham-nhung", province, Some("denunciation"), inspectorate)?;
            s.rule("an-ninh-trat-tu", province, None, police)?;
            if *province == "92" {
                overseen.push((
                    "giamsat.tinh@demo.nghedan.vn",
                    "Hội đồng nhân dân Thành phố Cần Thơ",
                    pc,
                ));
            }
        }
        for (email, name, unit) in overseen {
            s.user(email, name, Role::Supervisor, Some(unit))?;
        }
        s.user("admin@demo.nghedan.vn", "Quản trị viên", Role::Admin, None)?;
        s.user("lan@demo.nghedan.vn", "Nguyễn Thị Lan", Role::Citizen, None)?;
        s.user("minh@demo.nghedan.vn", "Trần Văn Minh", Role::Citizen, None)?;
        Ok::<_, AppError>(s.report)
    })
}

// --- history ---------------------------------------------------------------------------

/// What `seed demo --history N` made.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct History {
    pub tickets: usize,
    pub resolved: usize,
    pub refused: usize,
    pub withdrawn: usize,
    pub open: usize,
    pub rated: usize,
}

/// A small deterministic generator (splitmix64): the same `N` gives the same history.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// In `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    /// True with probability `pct` %.
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

/// What a generated ticket is about.
struct Subject {
    kind: crate::domain::ticket::Kind,
    category: &'static str,
    title: &'static str,
    attributes: serde_json::Value,
}

fn subject(d: &mut Dice) -> Subject {
    use crate::domain::ticket::Kind;
    let roll = d.range(0, 99);
    let (kind, category, title, attributes) = match roll {
        0..=24 => (
            Kind::Feedback,
            "duong-hong",
            "Ổ gà trên đường",
            json!({"size": "medium"}),
        ),
        25..=39 => (
            Kind::Feedback,
            "rac-thai",
            "Rác thải tồn đọng",
            json!({"volume": "pile"}),
        ),
        40..=54 => (
            Kind::Feedback,
            "den-duong",
            "Đèn đường không sáng",
            json!({}),
        ),
        55..=64 => (
            Kind::Feedback,
            "cay-xanh",
            "Cây xanh nguy cơ gãy đổ",
            json!({}),
        ),
        65..=74 => (
            Kind::Petition,
            "thu-tuc-hanh-chinh",
            "Đề nghị rút ngắn thời gian làm thủ tục",
            json!({}),
        ),
        75..=82 => (
            Kind::Petition,
            "giao-duc",
            "Đề nghị mở thêm lớp học",
            json!({}),
        ),
        83..=92 => (
            Kind::Complaint,
            "thu-tuc-hanh-chinh",
            "Khiếu nại việc từ chối hồ sơ",
            json!({}),
        ),
        _ => (
            Kind::Denunciation,
            "thai-do-phuc-vu",
            "Tố cáo cán bộ gây khó khăn",
            json!({}),
        ),
    };
    Subject {
        kind,
        category,
        title,
        attributes,
    }
}

/// `n` tickets received over the past `months` months (before `base.now`), each taken
/// through the workflow by the demo's citizens and officials with realistic delays: most are
/// accepted after a few working days and answered in time, some late, some extended,
/// suspended or waiting for information, some refused or withdrawn, some reopened; most
/// answers rated. Everything goes through `db::tickets` (`submit`, `act`, `rate`) at the
/// moment it happens, so timelines and the audit chain are those of real tickets; actions
/// that would fall after `base.now` do not happen (those tickets stay open). The messages the
/// workflow queues for these past events are dropped: nobody should be emailed about them.
///
/// Refused when a day has been sealed into the audit roots already: events dated in a sealed
/// day would change its published root.
pub fn history(
    conn: &mut DbConn,
    n: usize,
    months: u32,
    base: &crate::workflow::Ctx,
) -> Result<History, AppError> {
    use crate::db::schema::{audit_roots, outbox, users};
    use crate::domain::ticket::{Action, Channel, Kind, Status};
    use crate::workflow::tickets::{self as tickets, ActionInput, Sender, Submission, Viewer};
    use chrono::{Duration, NaiveTime};
    use diesel::prelude::*;

    let sealed: i64 = audit_roots::table.count().get_result(conn)?;
    if sealed > 0 {
        return Err(AppError::internal(
            "history can only be generated before the first day is sealed into the audit roots (on a fresh database)",
        ));
    }
    let citizens: Vec<i64> = users::table
        .filter(users::email.eq_any(["lan@demo.nghedan.vn", "minh@demo.nghedan.vn"]))
        .select(users::id)
        .load(conn)?;
    if citizens.is_empty() {
        return Err(AppError::internal("load the demo data first (seed demo)"));
    }
    let communes: Vec<String> = crate::db::schema::units::table
        .filter(crate::db::schema::units::code.like("UBND-X%"))
        .order(crate::db::schema::units::code.asc())
        .select(crate::db::schema::units::code)
        .load::<String>(conn)?
        .into_iter()
        .map(|c| c.trim_start_matches("UBND-X").to_string())
        .collect();
    if communes.is_empty() {
        return Err(AppError::internal("load the demo data first (seed demo)"));
    }
    let outbox_before: i64 = outbox::table
        .select(diesel::dsl::max(outbox::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0);
    let now = base.now;
    let day_end = base.day_end;
    let cal = base.cal.clone();
    let mut d = Dice(0x006e_6768_6564_616e ^ n as u64);
    let span_days = i64::from(months.max(1)) * 30;
    // Receipt moments, in order, so the first event is the earliest (the audit roots start
    // from it).
    let mut received: Vec<chrono::DateTime<chrono::Utc>> = (0..n)
        .map(|_| {
            let day = day_end.local_date(now) - Duration::days(d.range(1, span_days));
            let minute = d.range(7 * 60, 20 * 60);
            let local = day.and_time(NaiveTime::MIN) + Duration::minutes(minute);
            // Local to UTC: the day's end moment less the local time left in the day.
            let end = day_end.end_of(day);
            end - (day.and_time(day_end.end_of_day) - local)
        })
        .collect();
    received.sort();
    // The moment `days` working days after `from`, at a working hour.
    let working_later = |d: &mut Dice, from: chrono::DateTime<chrono::Utc>, days: i64| {
        let date = cal.nth_working_day_after(day_end.local_date(from), days.max(0) as u32);
        let local = date.and_time(NaiveTime::MIN) + Duration::minutes(d.range(8 * 60, 17 * 60));
        let at = day_end.end_of(date) - (date.and_time(day_end.end_of_day) - local);
        at.max(from + Duration::minutes(d.range(5, 90)))
    };
    let mut report = History::default();
    for at in received {
        let s = subject(&mut d);
        let citizen = citizens[d.range(0, citizens.len() as i64 - 1) as usize];
        let area = communes[d.range(0, communes.len() as i64 - 1) as usize].clone();
        let ctx_at = |t: chrono::DateTime<chrono::Utc>| crate::workflow::Ctx {
            now: t,
            cal: cal.clone(),
            day_end,
            delivery: base.delivery.clone(),
            complaint_suspension: base.complaint_suspension,
            support_threshold: base.support_threshold,
            max_attachments: base.max_attachments,
        };
        let area_row = areas::find(conn, &area)?;
        let (lat, lon) = area_row
            .map(|a| {
                (
                    Some(a.lat + d.range(-50, 50) as f64 / 10_000.0),
                    Some(a.lon + d.range(-50, 50) as f64 / 10_000.0),
                )
            })
            .unwrap_or((None, None));
        let t = db::write(conn, |c| {
            tickets::submit(
                c,
                &Submission {
                    kind: s.kind,
                    category: s.category.to_string(),
                    title: s.title.to_string(),
                    description: format!("{} (dữ liệu mẫu).", s.title),
                    lat,
                    lon,
                    area_code: area.clone(),
                    address: None,
                    attributes: s.attributes.clone(),
                    private: false,
                    channel: Channel::App,
                    sender: Sender::Citizen { user_id: citizen },
                    accused_unit_id: None,
                    contested: (s.kind == Kind::Complaint).then(|| {
                        json!({"type": "act", "learned_on": day_end.local_date(at) - Duration::days(10)})
                    }),
                    filing_late: false,
                    attachments: vec![],
                    appeal_of: None,
                    round: 1,
                    actor: Some((citizen, Role::Citizen)),
                },
                &ctx_at(at),
            )
        })?;
        report.tickets += 1;
        let official: Option<i64> = users::table
            .filter(users::unit_id.eq(t.unit_id))
            .filter(users::role.eq("official"))
            .order(users::id.asc())
            .select(users::id)
            .first(conn)
            .optional()?;
        let Some(official) = official else {
            report.open += 1;
            continue;
        };
        let as_user = |id: i64, role: Role| Viewer {
            user: Some(crate::auth::CurrentUser {
                id,
                role,
                unit_id: (role == Role::Official).then_some(t.unit_id),
                verified: true,
                locale: Lang::Vi,
            }),
            secret: None,
        };
        let staff = as_user(official, Role::Official);
        let owner = as_user(citizen, Role::Citizen);
        // The plan: (moment, who, action, input), in order; cut at `now`.
        let mut plan: Vec<(chrono::DateTime<chrono::Utc>, bool, Action, ActionInput)> = vec![];
        let say = |text: &str| ActionInput {
            reason: Some(text.to_string()),
            text: Some(text.to_string()),
            ..ActionInput::default()
        };
        let roll = d.range(0, 99);
        if roll < 5 {
            let when = at + Duration::hours(d.range(1, 48));
            plan.push((when, false, Action::Withdraw, ActionInput::default()));
            if s.kind == Kind::Denunciation {
                // A denouncer's withdrawal is a request the unit decides on.
                let days = d.range(1, 3);
                let granted = working_later(&mut d, when, days);
                plan.push((
                    granted,
                    true,
                    Action::GrantWithdrawal,
                    say("Không có dấu hiệu vi phạm."),
                ));
            }
        } else if roll < 12 {
            let days = d.range(1, 3);
            let when = working_later(&mut d, at, days);
            plan.push((when, true, Action::Refuse, say("Không thuộc thẩm quyền.")));
        } else {
            // Acceptance: usually within a few working days, sometimes late.
            let days = if d.chance(12) {
                d.range(8, 14)
            } else {
                d.range(0, 5)
            };
            let mut when = working_later(&mut d, at, days);
            plan.push((when, true, Action::Accept, ActionInput::default()));
            if d.chance(12) {
                when += Duration::hours(d.range(2, 30));
                plan.push((
                    when,
                    true,
                    Action::RequestInfo,
                    say("Xin bổ sung thông tin."),
                ));
                when += Duration::hours(d.range(12, 140));
                plan.push((when, false, Action::ProvideInfo, say("Thông tin bổ sung.")));
            }
            if s.kind == Kind::Denunciation && d.chance(30) {
                when += Duration::days(d.range(5, 25));
                let mut ext = say("Vụ việc phức tạp.");
                ext.days = Some(d.range(10, 30) as u32);
                plan.push((when, true, Action::Extend, ext));
            }
            let resolve_days = match s.kind {
                Kind::Feedback | Kind::Petition => {
                    if d.chance(18) {
                        d.range(21, 45)
                    } else {
                        d.range(1, 18)
                    }
                }
                Kind::Complaint => d.range(10, 45),
                Kind::Denunciation => d.range(15, 70),
            };
            when = when.max(at + Duration::days(resolve_days) + Duration::minutes(d.range(0, 600)));
            let mut answer = say("Đơn vị đã xử lý và trả lời.");
            answer.publish = s.kind.may_be_public() && d.chance(80);
            plan.push((when, true, Action::Resolve, answer.clone()));
            if s.kind.may_be_public() && d.chance(6) {
                when += Duration::days(d.range(1, 5));
                plan.push((when, false, Action::Reopen, say("Vẫn chưa được khắc phục.")));
                when += Duration::days(d.range(2, 8));
                plan.push((when, true, Action::Resolve, answer));
            }
        }
        let mut stopped = false;
        for (when, by_staff, action, input) in plan {
            if when >= now {
                stopped = true;
                break;
            }
            let viewer = if by_staff { &staff } else { &owner };
            db::write(conn, |c| {
                tickets::act(c, &t.code, viewer, action, &input, &ctx_at(when)).map(|_| ())
            })?;
        }
        let after = crate::db::tickets::find(conn, t.id)?
            .ok_or_else(|| AppError::internal("generated ticket vanished"))?;
        match after.status {
            Status::Resolved | Status::Closed => {
                report.resolved += 1;
                let when = after.resolved_at.map(|r| r.and_utc()).unwrap_or(now)
                    + Duration::hours(d.range(2, 96));
                if !stopped && when < now && d.chance(65) {
                    let score = match d.range(0, 99) {
                        0..=9 => 1,
                        10..=19 => 2,
                        20..=39 => 3,
                        40..=69 => 4,
                        _ => 5,
                    };
                    db::write(conn, |c| {
                        tickets::rate(
                            c,
                            &after,
                            Some((citizen, Role::Citizen)),
                            score,
                            None,
                            when.naive_utc(),
                        )
                        .map(|_| ())
                    })?;
                    report.rated += 1;
                }
            }
            Status::Refused => report.refused += 1,
            Status::Withdrawn => report.withdrawn += 1,
            _ => report.open += 1,
        }
    }
    diesel::delete(outbox::table.filter(outbox::id.gt(outbox_before))).execute(conn)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_place_names() {
        assert_eq!(english_place("Phường Ninh Kiều"), "Ninh Kieu Ward");
        assert_eq!(english_place("Thành phố Cần Thơ"), "Can Tho City");
        assert_eq!(english_place("Xã Quế Phong"), "Que Phong Commune");
        assert_eq!(english_place("Nghệ An"), "Nghe An");
    }
}
