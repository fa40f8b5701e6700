//! `/console/admin/categories`: the category tree with each one's form fields; a form to make
//! one and a page to change one — `POST`/`PATCH /api/v1/admin/categories[/{code}]`, with their
//! checks. The form fields are written as the API takes them (Open311 `attributes` with names
//! in both languages), as JSON.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{
    Change, DoneQuery, Opt, Section, Settled, check_form, done_notice, frame, number, only_admin,
    opts, sections, settle, tree_order, write,
};
use crate::api::categories::{CategoryFields, checked};
use crate::api::error::ApiError;
use crate::console::{Frame, Notice, Reply, Staff, db, html, urlencode};
use crate::db::categories::{self as store, Category};
use crate::domain::attributes::Attribute;
use crate::domain::ticket::Kind;
use crate::error::FieldError;
use crate::state::AppState;

/// One category of the tree as the page shows it.
pub struct CategoryLine {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub urgent: bool,
    pub active: bool,
    pub depth: usize,
    /// Its form fields' codes.
    pub fields: Vec<String>,
}

/// The categories in tree order (siblings in their stored order), with their depth.
fn tree(all: &[Category]) -> Vec<(&Category, usize)> {
    tree_order(all, |c| c.code.as_str(), |c| c.parent_code.as_deref())
}

/// The form that makes or changes a category (its fields kept when it is refused).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name_vi: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub parent_code: String,
    #[serde(default)]
    pub default_kind: String,
    #[serde(default)]
    pub urgent: Option<String>,
    #[serde(default)]
    pub active: Option<String>,
    #[serde(default)]
    pub sort_order: String,
    /// The form fields, as the API's `attributes` JSON.
    #[serde(default)]
    pub attributes: String,
}

impl CategoryForm {
    /// A new category's form: active, no fields yet.
    fn blank() -> Self {
        CategoryForm {
            active: Some("1".into()),
            attributes: "[]".into(),
            default_kind: "feedback".into(),
            ..Default::default()
        }
    }

    fn of(c: &Category) -> Self {
        CategoryForm {
            csrf: String::new(),
            code: c.code.clone(),
            name_vi: c.name_vi.clone(),
            name_en: c.name_en.clone(),
            parent_code: c.parent_code.clone().unwrap_or_default(),
            default_kind: c.default_kind.clone(),
            urgent: c.urgent.then(|| "1".into()),
            active: c.active.then(|| "1".into()),
            sort_order: c.sort_order.to_string(),
            attributes: serde_json::to_string_pretty(&c.attributes())
                .unwrap_or_else(|_| "[]".into()),
        }
    }

    /// The API's body from the form (the code only when the category is made).
    fn body(&self, creating: bool) -> Result<CategoryFields, ApiError> {
        let attributes = match self.attributes.trim() {
            "" => Vec::new(),
            raw => serde_json::from_str::<Vec<Attribute>>(raw).map_err(|e| {
                ApiError::validation(vec![
                    FieldError::new("/attributes", "invalid_type").arg("reason", e),
                ])
            })?,
        };
        Ok(CategoryFields {
            code: creating.then(|| self.code.trim().to_string()),
            parent_code: Some(super::filled(&self.parent_code)),
            name_vi: Some(self.name_vi.clone()),
            name_en: Some(self.name_en.clone()),
            default_kind: match self.default_kind.trim() {
                "" => None,
                k => Some(Kind::parse(k).ok_or_else(|| super::invalid("/default_kind", k))?),
            },
            urgent: Some(self.urgent.is_some()),
            active: Some(self.active.is_some()),
            sort_order: number::<i32>("/sort_order", &self.sort_order)?,
            attributes: Some(attributes),
        })
    }
}

#[derive(Template)]
#[template(path = "console/admin_categories.html")]
struct CategoriesPage {
    f: Frame,
    nav: Vec<Section>,
    categories: Vec<CategoryLine>,
    /// The form that makes one.
    form: CategoryForm,
    kinds: Vec<Opt>,
    parents: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "console/admin_category.html")]
struct CategoryPage {
    f: Frame,
    nav: Vec<Section>,
    code: String,
    form: CategoryForm,
    kinds: Vec<Opt>,
    parents: Vec<Opt>,
}

fn kind_opts(t: crate::console::words::Words, chosen: &str) -> Vec<Opt> {
    opts(Kind::ALL.map(|k| (k.as_str(), t.kind(k))), chosen)
}

/// Every category but `except` (and those below it) as a parent to choose.
fn parent_opts(
    t: crate::console::words::Words,
    all: &[Category],
    except: Option<&str>,
    chosen: &str,
) -> Vec<Opt> {
    let lang = t.0;
    let mut values = vec![(String::new(), t.get("admin_none").to_string())];
    let mut below: std::collections::HashSet<&str> = std::collections::HashSet::new();
    if let Some(e) = except {
        below.insert(e);
        // Parents come before children in tree order, so one pass finds the whole subtree.
        for (c, _) in tree(all) {
            if c.parent_code.as_deref().is_some_and(|p| below.contains(p)) {
                below.insert(c.code.as_str());
            }
        }
    }
    values.extend(
        tree(all)
            .into_iter()
            .filter(|(c, _)| !below.contains(c.code.as_str()))
            .map(|(c, depth)| {
                (
                    c.code.clone(),
                    format!(
                        "{}{} ({})",
                        "— ".repeat(depth),
                        lang.pick(&c.name_vi, &c.name_en),
                        c.code
                    ),
                )
            }),
    );
    opts(values, chosen)
}

async fn list_page(
    staff: &Staff,
    state: &web::Data<AppState>,
    form: CategoryForm,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<HttpResponse, Reply> {
    let t = staff.t();
    let lang = staff.lang;
    let all = db(state, lang, |c| Ok(store::all(c, true)?)).await?;
    let categories = tree(&all)
        .into_iter()
        .map(|(c, depth)| CategoryLine {
            code: c.code.clone(),
            name: lang.pick(&c.name_vi, &c.name_en).to_string(),
            kind: Kind::parse(&c.default_kind)
                .map(|k| t.kind(k))
                .unwrap_or("?"),
            urgent: c.urgent,
            active: c.active,
            depth,
            fields: c.attributes().into_iter().map(|a| a.code).collect(),
        })
        .collect();
    let kinds = kind_opts(t, &form.default_kind);
    let parents = parent_opts(t, &all, None, &form.parent_code);
    let mut f = frame(staff, state, "admin_categories");
    f.notice = notice;
    let page = CategoriesPage {
        f,
        nav: sections(t, "categories"),
        categories,
        form,
        kinds,
        parents,
    };
    Ok(html(status, &page))
}

/// `GET /console/admin/categories`.
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, Reply> {
    only_admin(&staff)?;
    let notice = done_notice(staff.t(), q.done.as_deref());
    list_page(
        &staff,
        &state,
        CategoryForm::blank(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// `POST /console/admin/categories`: makes a category, as `POST /api/v1/admin/categories`.
pub async fn create(
    staff: Staff,
    state: web::Data<AppState>,
    form: web::Form<CategoryForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    check_form(&staff, &state, &form.csrf)?;
    let now = state.clock.now_naive();
    let made = match form.body(true).and_then(|b| checked(b, true)) {
        Ok(fields) => {
            write(&state, move |c| {
                Ok(crate::workflow::categories::create(c, fields, now)?)
            })
            .await
        }
        Err(e) => Err(e),
    };
    let change = Change {
        method: "POST",
        route: "/api/v1/admin/categories",
        status: 201,
        target: "/api/v1/admin/categories".into(),
    };
    match settle(&staff, &state, made, change, |c: &Category| {
        format!(
            "/console/admin/categories/{}?done=created",
            urlencode(&c.code)
        )
    })
    .await?
    {
        Settled::Done(res) => Ok(res),
        Settled::Refused(status, notice) => {
            list_page(&staff, &state, form, Some(notice), status).await
        }
    }
}

async fn one_page(
    staff: &Staff,
    state: &web::Data<AppState>,
    code: String,
    form: Option<CategoryForm>,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<HttpResponse, Reply> {
    let t = staff.t();
    let lang = staff.lang;
    let c2 = code.clone();
    let (cat, all) = db(state, lang, move |c| {
        let cat = crate::workflow::categories::found(c, &c2)?;
        Ok((cat, store::all(c, true)?))
    })
    .await?;
    let form = form.unwrap_or_else(|| CategoryForm::of(&cat));
    let kinds = kind_opts(t, &form.default_kind);
    let parents = parent_opts(t, &all, Some(&cat.code), &form.parent_code);
    let mut f = staff.frame(
        state,
        "admin",
        format!("{} ({})", lang.pick(&cat.name_vi, &cat.name_en), cat.code),
    );
    f.notice = notice;
    let page = CategoryPage {
        f,
        nav: sections(t, "categories"),
        code,
        form,
        kinds,
        parents,
    };
    Ok(html(status, &page))
}

/// `GET /console/admin/categories/{code}`.
pub async fn one(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, Reply> {
    only_admin(&staff)?;
    let notice = done_notice(staff.t(), q.done.as_deref());
    one_page(
        &staff,
        &state,
        path.into_inner(),
        None,
        notice,
        StatusCode::OK,
    )
    .await
}

/// `POST /console/admin/categories/{code}`: changes a category, as `PATCH
/// /api/v1/admin/categories/{code}`.
pub async fn edit(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<CategoryForm>,
) -> Result<HttpResponse, Reply> {
    let mut form = form.into_inner();
    check_form(&staff, &state, &form.csrf)?;
    let code = path.into_inner();
    form.code = code.clone();
    let now = state.clock.now_naive();
    let c2 = code.clone();
    let changed = match form.body(false).and_then(|b| checked(b, false)) {
        Ok(fields) => {
            write(&state, move |c| {
                Ok(crate::workflow::categories::update(c, &c2, fields, now)?)
            })
            .await
        }
        Err(e) => Err(e),
    };
    let change = Change {
        method: "PATCH",
        route: "/api/v1/admin/categories/{code}",
        status: 200,
        target: format!("/api/v1/admin/categories/{}", urlencode(&code)),
    };
    match settle(&staff, &state, changed, change, |_| {
        format!("/console/admin/categories/{}?done=saved", urlencode(&code))
    })
    .await?
    {
        Settled::Done(res) => Ok(res),
        Settled::Refused(status, notice) => {
            one_page(&staff, &state, code, Some(form), Some(notice), status).await
        }
    }
}
