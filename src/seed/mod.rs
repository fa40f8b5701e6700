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
        let mut overseen = Overseen::new();
        for province in PROVINCES {
            demo_province(&mut s, province, &mut overseen)?;
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

/// Who oversees what: (email, name, unit).
type Overseen = Vec<(&'static str, &'static str, i64)>;

/// One demo province: its committee, departments, inspectorate and police, its first communes
/// with their committees and inspection boards, and its routing rules.
fn demo_province(
    s: &mut Seeder,
    province: &'static str,
    overseen: &mut Overseen,
) -> Result<(), AppError> {
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
    if province == "92" {
        overseen.push((
            "giamsat.tinh@demo.nghedan.vn",
            "Hội đồng nhân dân Thành phố Cần Thơ",
            pc,
        ));
    }
    Ok(())
}

// --- history ---------------------------------------------------------------------------

mod history;

pub use history::{History, history};

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
