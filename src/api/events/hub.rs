//! This process's live-update streams, and the one poller that wakes them.
//!
//! Writers may be other processes (the worker makes notifications), so changes are found in
//! the database, not in memory. One task per process, running only while a stream is open,
//! takes the sync [`horizon`] every `server.events_poll_ms` and asks once, for every user with
//! an open stream, who had a change stamped at or after the last poll's horizon; it wakes only
//! those users' streams, which then read their own changes. No `LISTEN`: that needs a session
//! of its own, which a transaction-mode pooler does not give, and SQLite has none.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::db::sync::{changed_users, horizon};
use crate::state::AppState;

pub struct Hub {
    inner: Mutex<Inner>,
    stop: watch::Sender<bool>,
}

#[derive(Default)]
struct Inner {
    /// Each user's open streams: an id and what wakes it.
    streams: HashMap<i64, Vec<(u64, Arc<Notify>)>>,
    next_id: u64,
    /// The horizon of the last poll: changes stamped at or after it are still to look for.
    floor: Option<i64>,
    /// The lowest horizon of the streams opened since the last poll began.
    pending: Option<i64>,
    polling: bool,
}

/// An open stream's place in the hub; leaving it (dropping) frees the user's slot.
pub struct Subscription {
    hub: Arc<Hub>,
    user: i64,
    id: u64,
    pub wake: Arc<Notify>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut inner = self.hub.lock();
        if let Some(list) = inner.streams.get_mut(&self.user) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                inner.streams.remove(&self.user);
            }
        }
    }
}

fn lower(a: Option<i64>, b: i64) -> Option<i64> {
    Some(a.map_or(b, |a| a.min(b)))
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            inner: Mutex::default(),
            stop: watch::channel(false).0,
        }
    }
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many streams `user` has open in this process.
    pub fn open(&self, user: i64) -> usize {
        self.lock().streams.get(&user).map_or(0, Vec::len)
    }

    /// Opens a stream for `user`, which has read every change stamped before `from`; `None`
    /// when the user has `max` open already. Starts the poller if it is not running.
    pub fn subscribe(
        self: &Arc<Self>,
        state: &AppState,
        user: i64,
        max: usize,
        from: i64,
    ) -> Option<Subscription> {
        let mut inner = self.lock();
        let list = inner.streams.entry(user).or_default();
        if list.len() >= max {
            return None;
        }
        let wake = Arc::new(Notify::new());
        let id = inner.next_id;
        inner.next_id += 1;
        inner
            .streams
            .entry(user)
            .or_default()
            .push((id, wake.clone()));
        inner.pending = lower(inner.pending, from);
        if !inner.polling {
            inner.polling = true;
            actix_web::rt::spawn(poll(state.clone()));
        }
        Some(Subscription {
            hub: self.clone(),
            user,
            id,
            wake,
        })
    }

    /// Ends every stream (the server is shutting down): each sends what it has and closes.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Resolves once [`Hub::stop`] was called.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// The users to ask about and the stamp to ask from; `None` (and the poller stops) when
    /// no stream is open.
    fn due(&self) -> Option<(Vec<i64>, Option<i64>)> {
        let mut inner = self.lock();
        if inner.streams.is_empty() || *self.stop.borrow() {
            inner.polling = false;
            inner.floor = None;
            inner.pending = None;
            return None;
        }
        let from = match inner.pending.take() {
            Some(p) => lower(inner.floor, p),
            None => inner.floor,
        };
        inner.floor = from;
        Some((inner.streams.keys().copied().collect(), from))
    }

    /// After a poll that took `horizon`: wakes the streams of `changed`.
    fn advance(&self, horizon: i64, changed: &[i64]) {
        let mut inner = self.lock();
        inner.floor = Some(horizon);
        for user in changed {
            for (_, wake) in inner.streams.get(user).into_iter().flatten() {
                // Stores a permit: a stream busy sending reads again when it is done.
                wake.notify_one();
            }
        }
    }
}

/// The poller: one per process while any stream is open.
async fn poll(state: AppState) {
    let hub = state.live.clone();
    let mut stop = hub.stopping();
    let period = Duration::from_millis(state.settings.server.events_poll_ms);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => {}
        }
        let Some((users, from)) = hub.due() else {
            return;
        };
        let looked = state
            .db(move |conn| -> Result<_, crate::db::Error> {
                let h = horizon(conn)?;
                let changed = match from {
                    Some(from) => changed_users(conn, &users, from)?,
                    None => Vec::new(),
                };
                Ok((h, changed))
            })
            .await;
        match looked {
            Ok((h, changed)) => hub.advance(h, &changed),
            // The floor stays: the next poll asks again from it.
            Err(e) => tracing::warn!(error = %e, "live updates: looking for changes failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub_with(users: &[i64]) -> (Arc<Hub>, Vec<Subscription>) {
        let hub = Arc::new(Hub::default());
        let mut subs = Vec::new();
        {
            let mut inner = hub.lock();
            inner.polling = true;
        }
        for (i, &user) in users.iter().enumerate() {
            let wake = Arc::new(Notify::new());
            let mut inner = hub.lock();
            inner
                .streams
                .entry(user)
                .or_default()
                .push((i as u64, wake.clone()));
            drop(inner);
            subs.push(Subscription {
                hub: hub.clone(),
                user,
                id: i as u64,
                wake,
            });
        }
        (hub, subs)
    }

    #[test]
    fn a_poll_asks_from_the_lowest_of_its_floor_and_new_streams_horizons() {
        let (hub, subs) = hub_with(&[1, 2]);
        hub.lock().pending = Some(10);
        let (mut users, from) = hub.due().unwrap();
        users.sort();
        assert_eq!((users, from), (vec![1, 2], Some(10)));
        hub.advance(15, &[2]);
        // A stream opened while the poll ran had read up to 12: the next poll asks from 12.
        hub.lock().pending = Some(12);
        assert_eq!(hub.due().unwrap().1, Some(12));
        hub.advance(20, &[]);
        assert_eq!(hub.due().unwrap().1, Some(20));
        drop(subs);
        assert_eq!(hub.open(1), 0);
        assert!(hub.due().is_none(), "no stream open: the poller stops");
        assert!(!hub.lock().polling);
    }

    #[tokio::test]
    async fn only_the_changed_users_streams_wake() {
        let (hub, subs) = hub_with(&[1, 2]);
        hub.advance(5, &[2]);
        let woke = |s: &Subscription| {
            let n = s.wake.notified();
            futures_util::FutureExt::now_or_never(n).is_some()
        };
        assert!(!woke(&subs[0]));
        assert!(woke(&subs[1]));
        drop(hub);
    }
}
