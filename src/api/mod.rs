//! HTTP: one module per resource (handlers, DTOs, OpenAPI annotations), assembled here.

pub mod admin_policies;
pub mod admin_users;
pub mod announcements;
pub mod app_versions;
pub mod areas;
pub mod audit;
pub mod auth;
pub mod caller;
pub mod categories;
pub mod compression;
pub mod conditional;
pub mod consultations;
pub mod cors;
pub mod deadlines;
pub mod dialogues;
pub mod docs;
pub mod email_suppressions;
pub mod error;
pub mod events;
pub mod extract;
pub mod follow_ups;
pub mod health;
pub mod idempotency;
pub mod inbox;
pub mod list;
pub mod me;
pub mod middleware;
pub mod notifications;
pub mod open311;
pub mod public;
pub mod push;
pub mod reception_days;
pub mod receptions;
pub mod reports;
pub mod request_head;
pub mod residents;
pub mod routing;
pub mod spreadsheet;
pub mod supervision;
pub mod sync;
pub mod tickets;
pub mod tus;
pub mod units;
pub mod uploads;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::error::ApiError;
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
        .service(
            utoipa_actix_web::scope("/api/v1")
                .configure(accounts)
                .configure(organisation)
                .configure(tickets_routes)
                .configure(oversight)
                .configure(residents_routes)
                .configure(configuration)
                .configure(citizen_reception),
        )
        .service(utoipa_actix_web::scope("/open311/v2").configure(open311::routes))
        .split_for_parts();
    let mut document = document;
    docs::add_conventional_errors(&mut document);
    let document = document
        .to_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));

    let cors = cors::middleware(&state.settings.server);
    app.app_data(state)
        .app_data(web::Data::new(docs::ApiDocument(document)))
        // A path parameter of the wrong shape (`/units/abc`) names nothing that exists.
        .app_data(
            web::PathConfig::default()
                .error_handler(|_, _| ApiError::not_found("resource_not_found").into()),
        )
        .service(
            utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                .config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json")),
        )
        .route("/docs", web::get().to(docs::docs_page))
        .configure(crate::console::routes)
        .default_service(web::to(middleware::not_found))
        // Innermost first: the app's version, ETags and 304s, what is worth compressing, CORS,
        // the compression itself, and outermost the request context (ids, problems, logs).
        // CORS inside `Compress`: actix-cors rewrites `Vary` from its first value only, so it
        // must come before `Compress` appends `accept-encoding`.
        .wrap(actix_web::middleware::from_fn(app_versions::check))
        .wrap(actix_web::middleware::from_fn(conditional::middleware))
        .wrap(actix_web::middleware::from_fn(compression::policy))
        .wrap(cors)
        .wrap(actix_web::middleware::Compress::default())
        .wrap(actix_web::middleware::from_fn(middleware::request_context))
}

/// What `nghedan worker` serves on its own port (`worker.host`, `worker.port`): the same
/// health and metrics handlers as the API's, and nothing else.
pub fn operations_app(
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
    App::new()
        .app_data(state)
        .service(health::live)
        .service(health::ready)
        .service(health::metrics)
        .default_service(web::to(middleware::not_found))
        .wrap(actix_web::middleware::from_fn(middleware::request_context))
}

/// Signing up and in, one's own account, devices and notifications.
fn accounts(cfg: &mut ServiceConfig) {
    cfg.service(auth::register)
        .service(auth::verify_email)
        .service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::password_reset)
        .service(auth::password_reset_confirm)
        .service(me::me)
        .service(me::update_me)
        .service(me::change_password)
        .service(me::notification_preferences)
        .service(me::set_notification_preferences)
        .service(me::export)
        .service(me::delete_me)
        .service(me::add_device)
        .service(me::list_devices)
        .service(me::delete_device)
        .service(push::webpush_key)
        .service(notifications::list)
        .service(notifications::mark_read)
        .service(events::stream)
        .service(notifications::unsubscribe)
        .service(notifications::unsubscribe_page);
}

/// Units, areas, categories and routing, as everyone reads them.
fn organisation(cfg: &mut ServiceConfig) {
    // `locate` before `{code}`, which would take it.
    cfg.service(areas::locate)
        .service(areas::list)
        .service(areas::get_one)
        .service(units::list)
        .service(units::get_one)
        .service(categories::list)
        .service(routing::preview)
        .service(deadlines::get_calendar)
        .service(deadlines::preview);
}

/// Tickets: lists, submission, reading, the workflow and the files.
fn tickets_routes(cfg: &mut ServiceConfig) {
    cfg.service(inbox::mine)
        .service(inbox::list)
        .service(inbox::supervised)
        .service(inbox::summary)
        .service(tickets::submit)
        // `similar` before `{code}`, which would take it.
        .service(inbox::similar)
        .service(tickets::get_one)
        .service(tickets::events)
        // Named sub-resources before the generic `{action}`, which would take them.
        .service(tickets::comment)
        .service(supervision::note)
        .service(supervision::reopen_request)
        .service(tickets::rate)
        .service(tickets::support)
        .service(tickets::unsupport)
        .service(tickets::follow)
        .service(tickets::unfollow)
        .service(uploads::set_publishable)
        .service(open311::moderation::hide)
        .service(tickets::act)
        .service(uploads::create)
        .service(tus::capabilities)
        .service(tus::create)
        .service(tus::status)
        .service(tus::append)
        .service(tus::terminate)
        .service(uploads::download)
        .service(uploads::thumbnail);
}

/// "Dân biết": the areas residents follow, and what units announce to them.
fn residents_routes(cfg: &mut ServiceConfig) {
    cfg.service(residents::my_areas)
        .service(residents::set_my_areas)
        .service(residents::register)
        .service(residents::current)
        .service(residents::set_areas)
        .service(residents::revoke)
        .service(announcements::feed)
        .service(announcements::create)
        .service(announcements::list)
        .service(announcements::get_one)
        .service(announcements::edit)
        .service(announcements::publish)
        .service(announcements::withdraw)
        .service(announcements::history)
        .service(announcements::mark_read)
        .service(announcements::attachment)
        .service(consultations::create)
        .service(consultations::list)
        .service(consultations::get_one)
        .service(consultations::respond)
        .service(consultations::my_response)
        .service(consultations::comment)
        .service(consultations::comments)
        .service(consultations::support)
        .service(consultations::hide)
        // `results.csv` before `results`: distinct paths, listed together.
        .service(consultations::export)
        .service(consultations::results)
        .service(consultations::close)
        .service(consultations::synthesis)
        .service(consultations::supervised)
        .service(consultations::document);
}

/// What supervisors and the public read: the audit trail, reports, scorecards.
fn oversight(cfg: &mut ServiceConfig) {
    cfg.service(audit::verify)
        .service(audit::roots)
        .service(audit::admin_log)
        .service(reports::response_times)
        .service(reports::overdue)
        .service(reports::unit_report)
        .service(follow_ups::list)
        .service(follow_ups::get_one)
        .service(follow_ups::done)
        // `tickets.geojson` is its own path, not a ticket code.
        .service(public::geojson)
        .service(public::tickets)
        .service(public::scorecard)
        .service(public::scorecards);
}

/// What administrators keep: accounts, units, areas, categories, rules, policies, calendar.
fn configuration(cfg: &mut ServiceConfig) {
    cfg.service(admin_users::create)
        .service(admin_users::list)
        .service(admin_users::get_one)
        .service(admin_users::update)
        .service(admin_users::reset)
        .service(areas::update)
        .service(units::admin_list)
        .service(units::admin_get_one)
        .service(units::create)
        .service(units::update)
        .service(units::remove)
        .service(units::merge)
        .service(categories::admin_list)
        .service(categories::create)
        .service(categories::update)
        .service(categories::remove)
        .service(routing::list)
        .service(routing::get_one)
        .service(routing::create)
        .service(routing::update)
        .service(routing::remove)
        .service(admin_policies::create)
        .service(admin_policies::list)
        .service(admin_policies::get_one)
        .service(admin_policies::update)
        .service(admin_policies::remove)
        .service(admin_policies::set_day)
        .service(admin_policies::remove_day)
        .service(email_suppressions::list)
        .service(email_suppressions::lift)
        .service(open311::clients::create)
        .service(open311::clients::list)
        .service(open311::clients::revoke);
}

/// Citizen reception: the register, the heads' reception days, dialogues.
fn citizen_reception(cfg: &mut ServiceConfig) {
    cfg.service(receptions::create)
        .service(receptions::list)
        .service(receptions::get_one)
        .service(receptions::report)
        .service(reception_days::schedule)
        .service(reception_days::upcoming)
        .service(reception_days::book)
        .service(reception_days::cancel)
        .service(reception_days::bookings)
        .service(dialogues::schedule)
        .service(dialogues::list)
        .service(dialogues::get_one)
        .service(dialogues::ask)
        .service(dialogues::questions)
        .service(dialogues::support)
        .service(dialogues::answer)
        .service(dialogues::minutes);
}
