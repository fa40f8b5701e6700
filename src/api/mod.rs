//! HTTP: one module per resource (handlers, DTOs, OpenAPI annotations), assembled here.

pub mod docs;
pub mod extract;
pub mod health;
pub mod list;
pub mod middleware;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::error::ApiError;
use crate::state::AppState;

/// The whole application: every route is registered through utoipa so that the OpenAPI
/// document lists each one.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, document) = App::new()
        .into_utoipa_app()
        .openapi(docs::ApiDoc::openapi())
        .service(health::live)
        .service(health::ready)
        .service(health::metrics)
        .service(docs::openapi_json)
        .split_for_parts();
    let document = document
        .to_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));

    app.app_data(state)
        .app_data(web::Data::new(docs::ApiDocument(document)))
        .app_data(web::PathConfig::default().error_handler(|_, req| {
            ApiError::not_found("route_not_found")
                .arg("path", req.path())
                .into()
        }))
        .service(
            utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                .config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json")),
        )
        .route("/docs", web::get().to(docs::docs_redirect))
        .default_service(web::to(middleware::not_found))
        .wrap(actix_web::middleware::from_fn(middleware::request_context))
}
