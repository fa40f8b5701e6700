//! Areas after the 2025 reform: provinces and communes, loaded from the shipped data set.

use diesel::prelude::*;
use serde::Serialize;

use super::DbConn;
use super::schema::areas;
use crate::db::Error;
use crate::domain::text::fold;

/// The official list of communes with their province, centroid and area.
pub const ADMIN_UNITS_CSV: &str = include_str!("../../assets/data/vn-admin-units-2025.csv");

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = areas)]
pub struct Area {
    pub code: String,
    pub name: String,
    pub name_folded: String,
    pub level: String,
    pub kind: String,
    pub parent_code: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub area_km2: Option<f64>,
    pub remote: bool,
    pub second_round_unit_id: Option<i64>,
}

#[derive(Debug, serde::Deserialize)]
struct Row {
    province_code: String,
    province_name: String,
    commune_code: String,
    commune_name: String,
    commune_type: String,
    lat: f64,
    lon: f64,
    area_km2: Option<f64>,
}

/// Parses the data set into province and commune rows. The file has no province rows: each
/// province's centroid is the area-weighted mean of its communes' centroids and its area their
/// sum. A few communes have no area in the file: they weigh as an average commune, and their
/// own area stays unknown (null).
fn parse_admin_units(csv_text: &str) -> Result<Vec<Area>, String> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let rows = reader
        .deserialize::<Row>()
        .enumerate()
        .map(|(i, row)| row.map_err(|e| format!("line {}: {e}", i + 2)))
        .collect::<Result<Vec<Row>, String>>()?;
    let known: Vec<f64> = rows.iter().filter_map(|r| r.area_km2).collect();
    let average = known.iter().sum::<f64>() / known.len().max(1) as f64;
    let mut communes = Vec::new();
    // (code, name, Σ lat·w, Σ lon·w, Σ w, Σ known area)
    let mut provinces: Vec<(String, String, f64, f64, f64, f64)> = Vec::new();
    for r in rows {
        let w = r.area_km2.unwrap_or(average);
        match provinces.iter_mut().find(|p| p.0 == r.province_code) {
            Some(p) => {
                p.2 += r.lat * w;
                p.3 += r.lon * w;
                p.4 += w;
                p.5 += r.area_km2.unwrap_or(0.0);
            }
            None => provinces.push((
                r.province_code.clone(),
                r.province_name.clone(),
                r.lat * w,
                r.lon * w,
                w,
                r.area_km2.unwrap_or(0.0),
            )),
        }
        communes.push(Area {
            name_folded: fold(&r.commune_name),
            code: r.commune_code,
            name: r.commune_name,
            level: "commune".into(),
            kind: r.commune_type,
            parent_code: Some(r.province_code),
            lat: r.lat,
            lon: r.lon,
            area_km2: r.area_km2,
            remote: false,
            second_round_unit_id: None,
        });
    }
    let mut all: Vec<Area> = provinces
        .into_iter()
        .map(|(code, name, wlat, wlon, weight, area)| Area {
            kind: if name.starts_with("Thành phố") {
                "Thành phố".into()
            } else {
                "Tỉnh".into()
            },
            name_folded: fold(&name),
            code,
            name,
            level: "province".into(),
            parent_code: None,
            lat: round4(wlat / weight),
            lon: round4(wlon / weight),
            area_km2: Some((area * 100.0).round() / 100.0),
            remote: false,
            second_round_unit_id: None,
        })
        .collect();
    all.extend(communes);
    Ok(all)
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Loads the shipped areas when the table is empty (idempotent; runs under the start-up
/// advisory lock). Rows go in as multi-row INSERTs of 500: this is reference data from our own
/// file, quoted by [`quote`], and one statement per row would take seconds on PostgreSQL.
pub fn load_if_empty(conn: &mut DbConn) -> Result<usize, Error> {
    super::reference::changed();
    let present = areas::table.count().get_result::<i64>(conn)?;
    if present > 0 {
        return Ok(0);
    }
    let all = parse_admin_units(ADMIN_UNITS_CSV).map_err(Error::corrupt)?;
    super::write(conn, |conn| {
        for chunk in all.chunks(500) {
            let values: Vec<String> = chunk
                .iter()
                .map(|a| {
                    format!(
                        "({}, {}, {}, {}, {}, {}, {}, {}, {})",
                        quote(&a.code),
                        quote(&a.name),
                        quote(&a.name_folded),
                        quote(&a.level),
                        quote(&a.kind),
                        a.parent_code.as_deref().map_or("NULL".into(), quote),
                        a.lat,
                        a.lon,
                        a.area_km2.map_or("NULL".into(), |x| x.to_string())
                    )
                })
                .collect();
            diesel::sql_query(format!(
                "INSERT INTO areas (code, name, name_folded, level, kind, parent_code, lat, lon, area_km2) VALUES {}",
                values.join(", ")
            ))
            .execute(conn)?;
        }
        Ok::<_, Error>(())
    })?;
    Ok(all.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_data_has_34_provinces_and_3321_communes() {
        let all = parse_admin_units(ADMIN_UNITS_CSV).unwrap();
        let provinces: Vec<_> = all.iter().filter(|a| a.level == "province").collect();
        assert_eq!(provinces.len(), 34);
        assert_eq!(all.len() - provinces.len(), 3321);
        let hanoi = provinces.iter().find(|a| a.code == "01").unwrap();
        assert_eq!(hanoi.name, "Thành phố Hà Nội");
        assert_eq!(hanoi.kind, "Thành phố");
        assert!((20.5..21.5).contains(&hanoi.lat) && (105.3..106.1).contains(&hanoi.lon));
        assert!(hanoi.area_km2.unwrap() > 3000.0);
        let ba_dinh = all.iter().find(|a| a.code == "00004").unwrap();
        assert_eq!(ba_dinh.name_folded, "phuong ba dinh");
        assert_eq!(ba_dinh.parent_code.as_deref(), Some("01"));
    }

    #[test]
    fn quoting_doubles_apostrophes() {
        assert_eq!(quote("Ea H'leo"), "'Ea H''leo'");
    }
}

pub fn find(conn: &mut DbConn, code: &str) -> Result<Option<Area>, Error> {
    Ok(areas::table
        .find(code)
        .select(Area::as_select())
        .first(conn)
        .optional()?)
}

/// How many of `codes` (distinct) name an area.
pub fn count_existing(conn: &mut DbConn, codes: &[&str]) -> Result<usize, Error> {
    Ok(areas::table
        .filter(areas::code.eq_any(codes))
        .count()
        .get_result::<i64>(conn)? as usize)
}

#[derive(Debug, Default)]
pub struct Filter {
    pub parent: Option<String>,
    pub level: Option<String>,
    /// Matched against the folded name: diacritics and case do not matter.
    pub q: Option<String>,
}

/// Areas in code order, keyset on `code`.
pub fn list(
    conn: &mut DbConn,
    f: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Area>, Error> {
    let mut q = areas::table
        .select(Area::as_select())
        .order(areas::code.asc())
        .limit(limit)
        .into_boxed();
    if let Some(p) = &f.parent {
        q = q.filter(areas::parent_code.eq(p.clone()));
    }
    if let Some(l) = &f.level {
        q = q.filter(areas::level.eq(l.clone()));
    }
    if let Some(text) = f.q.as_deref().filter(|t| !t.trim().is_empty()) {
        q = q.filter(areas::name_folded.like(crate::domain::text::contains_pattern(text)));
    }
    if let Some(a) = after {
        q = q.filter(areas::code.gt(a.to_string()));
    }
    Ok(q.load(conn)?)
}

/// The commune whose centroid is nearest to the point, with its distance in metres, when
/// one lies within `max_m`.
pub fn nearest_commune(
    conn: &mut DbConn,
    lat: f64,
    lon: f64,
    max_m: f64,
) -> Result<Option<(Area, f64)>, Error> {
    use crate::domain::geo::{degrees_around, distance_m};
    let (dlat, dlon) = degrees_around(lat, max_m);
    let near: Vec<Area> = areas::table
        .filter(areas::level.eq("commune"))
        .filter(areas::lat.between(lat - dlat, lat + dlat))
        .filter(areas::lon.between(lon - dlon, lon + dlon))
        .select(Area::as_select())
        .load(conn)?;
    Ok(near
        .into_iter()
        .map(|a| {
            let d = distance_m(lat, lon, a.lat, a.lon);
            (a, d)
        })
        .filter(|(_, d)| *d <= max_m)
        .min_by(|a, b| a.1.total_cmp(&b.1)))
}

/// Sets an area's `remote` flag and/or its second-round complaint authority (a unit that
/// exists); `None` when there is no such area.
pub fn update(
    conn: &mut DbConn,
    code: &str,
    remote: Option<bool>,
    second_round_unit_id: Option<Option<i64>>,
) -> Result<Option<Area>, Error> {
    super::reference::changed();
    if let Some(r) = remote {
        diesel::update(areas::table.find(code))
            .set(areas::remote.eq(r))
            .execute(conn)?;
    }
    if let Some(u) = second_round_unit_id {
        diesel::update(areas::table.find(code))
            .set(areas::second_round_unit_id.eq(u))
            .execute(conn)?;
    }
    find(conn, code)
}
