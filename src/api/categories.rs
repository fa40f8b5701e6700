//! Categories: the public tree in the caller's language, and the administrator's CRUD.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::caller::{AdminOnly, ClientAddr, RequireRole};
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, RequestContext, nullable};
use crate::api::idempotency::{self, Creating};
use crate::db::categories::{self, Category};
use crate::db::{self};
use crate::domain::attributes::{Attribute, Datatype, check_definitions};
use crate::domain::ticket::Kind;
use crate::error::FieldError;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::validation::Violations;

#[derive(Debug, Serialize, ToSchema)]
pub struct ValueView {
    pub key: String,
    pub name: String,
}

/// A form field in Open311 `attributes` form, in the caller's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeView {
    pub code: String,
    pub datatype: Datatype,
    pub required: bool,
    pub order: i32,
    pub description: String,
    pub values: Vec<ValueView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(no_recursion)]
pub struct CategoryNode {
    pub code: String,
    pub name: String,
    pub default_kind: String,
    /// Urgent categories get the urgent deadline policy.
    pub urgent: bool,
    pub attributes: Vec<AttributeView>,
    pub children: Vec<CategoryNode>,
}

fn attribute_view(a: Attribute, lang: Lang) -> AttributeView {
    AttributeView {
        description: lang.pick(&a.description.vi, &a.description.en).to_string(),
        values: a
            .values
            .into_iter()
            .map(|v| ValueView {
                name: lang.pick(&v.name.vi, &v.name.en).to_string(),
                key: v.key,
            })
            .collect(),
        code: a.code,
        datatype: a.datatype,
        required: a.required,
        order: a.order,
    }
}

/// Builds the tree below `parent` (roots for `None`), keeping the stored order.
fn tree(all: &[Category], parent: Option<&str>, lang: Lang, depth: usize) -> Vec<CategoryNode> {
    if depth > 20 {
        return Vec::new();
    }
    all.iter()
        .filter(|c| c.parent_code.as_deref() == parent)
        .map(|c| {
            let mut attributes = c.attributes();
            attributes.sort_by_key(|a| a.order);
            CategoryNode {
                code: c.code.clone(),
                name: lang.pick(&c.name_vi, &c.name_en).to_string(),
                default_kind: c.default_kind.clone(),
                urgent: c.urgent,
                attributes: attributes
                    .into_iter()
                    .map(|a| attribute_view(a, lang))
                    .collect(),
                children: tree(all, Some(&c.code), lang, depth + 1),
            }
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryTree {
    pub items: Vec<CategoryNode>,
    /// The whole tree is one page.
    pub next_cursor: Option<String>,
}

/// The active categories as a tree, in the caller's language.
#[utoipa::path(tag = "categories", responses((status = 200, body = CategoryTree)))]
#[get("/categories")]
pub async fn list(
    state: web::Data<AppState>,
    ctx: RequestContext,
) -> Result<HttpResponse, ApiError> {
    let all = state.db(|conn| categories::all(conn, false)).await?;
    Ok(HttpResponse::Ok().json(CategoryTree {
        items: tree(&all, None, ctx.lang, 0),
        next_cursor: None,
    }))
}

/// A category as administrators write it (names and attributes in both languages).
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryAdminView {
    pub code: String,
    pub parent_code: Option<String>,
    pub name_vi: String,
    pub name_en: String,
    pub default_kind: String,
    pub urgent: bool,
    pub active: bool,
    pub sort_order: i32,
    pub attributes: Vec<Attribute>,
}

impl From<Category> for CategoryAdminView {
    fn from(c: Category) -> Self {
        let attributes = c.attributes();
        CategoryAdminView {
            code: c.code,
            parent_code: c.parent_code,
            name_vi: c.name_vi,
            name_en: c.name_en,
            default_kind: c.default_kind,
            urgent: c.urgent,
            active: c.active,
            sort_order: c.sort_order,
            attributes,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryFields {
    pub code: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub parent_code: Option<Option<String>>,
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub default_kind: Option<Kind>,
    pub urgent: Option<bool>,
    pub active: Option<bool>,
    pub sort_order: Option<i32>,
    pub attributes: Option<Vec<Attribute>>,
}

/// Checks fields; `creating` requires code and names. The console checks its forms with it too.
pub fn checked(b: CategoryFields, creating: bool) -> Result<categories::Fields, ApiError> {
    let mut v = Violations::new();
    let code = match &b.code {
        Some(c) => {
            let ok = (1..=64).contains(&c.len())
                && c.bytes()
                    .all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || b"-_.".contains(&x));
            if !ok {
                v.add("/code", "invalid_code");
            }
            Some(c.clone())
        }
        None if creating => {
            v.add("/code", "required");
            None
        }
        None => None,
    };
    let name_vi = match &b.name_vi {
        Some(n) => Some(v.line("/name_vi", n, 1, 200)),
        None if creating => {
            v.add("/name_vi", "required");
            None
        }
        None => None,
    };
    let name_en = match &b.name_en {
        Some(n) => Some(v.line("/name_en", n, 1, 200)),
        None if creating => {
            v.add("/name_en", "required");
            None
        }
        None => None,
    };
    if let Some(attrs) = &b.attributes
        && let Err(errors) = check_definitions(attrs)
    {
        for (pointer, code) in errors {
            v.add_error(FieldError::new(format!("/attributes{pointer}"), code));
        }
    }
    v.finish()?;
    Ok(categories::Fields {
        code,
        parent_code: b.parent_code,
        name_vi,
        name_en,
        default_kind: b.default_kind.map(|k| k.as_str().to_string()),
        urgent: b.urgent,
        active: b.active,
        attributes: b.attributes,
        sort_order: b.sort_order,
    })
}

/// All categories (inactive too), flat, for administrators.
#[utoipa::path(tag = "admin", security(("bearer" = [])), responses((status = 200, body = crate::api::list::List<CategoryAdminView>)))]
#[get("/admin/categories")]
pub async fn admin_list(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
) -> Result<HttpResponse, ApiError> {
    let all = state.db(|conn| categories::all(conn, true)).await?;
    Ok(HttpResponse::Ok().json(crate::api::list::List {
        items: all.into_iter().map(CategoryAdminView::from).collect(),
        next_cursor: None,
    }))
}

/// Create a category.
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = CategoryFields,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = CategoryAdminView), (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/admin/categories")]
pub async fn create(
    state: web::Data<AppState>,
    admin: RequireRole<AdminOnly>,
    client: ClientAddr,
    req: Creating<CategoryFields>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = req;
    let fields = checked(body, true)?;
    let now = state.clock.now_naive();
    idempotency::run(
        &state,
        idempotency::scope(Some(admin.id), &client.0),
        key,
        digest,
        StatusCode::CREATED,
        move |conn| {
            Ok(CategoryAdminView::from(
                crate::workflow::categories::create(conn, fields, now)?,
            ))
        },
    )
    .await
}

/// Change a category (a parent that would make a cycle: 422 `category_cycle`).
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = CategoryFields,
    responses((status = 200, body = CategoryAdminView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[patch("/admin/categories/{code}")]
pub async fn update(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<String>,
    ApiJson(body): ApiJson<CategoryFields>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    if body.code.as_ref().is_some_and(|c| *c != code) {
        return Err(ApiError::field("/code", "immutable"));
    }
    let fields = checked(body, false)?;
    let now = state.clock.now_naive();
    let c = state
        .db(move |conn| {
            db::write(conn, |c| {
                crate::workflow::categories::update(c, &code, fields, now)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(CategoryAdminView::from(c)))
}

/// Delete an unused category (else 409 `category_in_use`: deactivate it instead).
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"), (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[delete("/admin/categories/{code}")]
pub async fn remove(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    state
        .db(move |conn| db::write(conn, |c| crate::workflow::categories::delete(c, &code)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
