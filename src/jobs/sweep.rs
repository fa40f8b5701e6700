//! The deadline sweep as a background job: one pass of `workflow::sweep` as of now.

use crate::error::AppError;
use crate::state::AppState;
use crate::workflow::sweep::{self, Rules, Swept};

pub async fn run(state: &AppState) -> Result<Swept, AppError> {
    let st = state.clone();
    state
        .db(move |conn| {
            let ctx = st.ticket_ctx(conn)?;
            let rules = Rules {
                auto_close_days: st.settings.tickets.auto_close_days,
                info_wait_working_days: st.settings.tickets.info_wait_working_days,
                pool_size: st.settings.database.pool_size,
            };
            sweep::run(conn, &st.pool, rules, &ctx)
        })
        .await
}
