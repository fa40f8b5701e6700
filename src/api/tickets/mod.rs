//! Tickets over HTTP: submit (app or desk), read, the workflow actions, comments, rating,
//! support and follow. Handlers parse and check the request; `workflow::tickets` does the
//! work in one transaction.

mod actions;
mod read;
mod social;
mod submission;

use actix_web::HttpRequest;

use crate::api::error::ApiError;
use crate::auth::CurrentUser;
use crate::db::DbConn;
use crate::state::AppState;
use crate::workflow::Ctx;
use crate::workflow::tickets::Viewer;

pub use actions::{ActionBody, act};
pub(crate) use actions::{check_action, fields_of};
pub use read::{EventList, EventsQuery, events, get_one, read_one};
pub use social::{
    CommentRequest, Following, RatingRequest, Supporters, comment, follow, rate, support, unfollow,
    unsupport,
};
pub use submission::{
    Contested, ContestedType, Prepared, SubmitRequest, prepare, record, secret_field, submit,
};

pub const TRACKING_HEADER: &str = "X-Tracking-Secret";

/// The operation context (see [`AppState::ticket_ctx`]).
pub fn ctx(state: &AppState, conn: &mut DbConn) -> Result<Ctx, ApiError> {
    Ok(state.ticket_ctx(conn)?)
}

/// The caller as `workflow::tickets` sees it: the signed-in user and/or an
/// `X-Tracking-Secret`.
pub fn viewer(user: Option<CurrentUser>, req: &HttpRequest) -> Viewer {
    Viewer {
        user,
        secret: req
            .headers()
            .get(TRACKING_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    }
}
