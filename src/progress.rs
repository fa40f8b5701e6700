//! Progress of the long commands (`seed demo --history`, the imports, the clock-summary fill-in
//! after an upgrade, `audit verify`): a bar on standard error when it is a terminal, and nothing
//! at all otherwise — logs, pipes and services get the one line each command prints or logs
//! when it is done.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Where a long loop says how far it got. Cheap to pass everywhere: without a terminal (and in
/// the server and tests, [`Progress::none`]) every call does nothing.
#[derive(Clone, Default)]
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// Shows nothing.
    pub fn none() -> Self {
        Self(None)
    }

    /// `what` on the terminal: a bar out of `len` steps, or a running count when the total is
    /// not known. Nothing is drawn before the first step, so a loop with nothing to do stays
    /// silent.
    pub fn on_terminal(what: &str, len: Option<u64>) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self::none();
        }
        let (bar, template) = match len {
            Some(n) => (
                ProgressBar::new(n),
                "{msg} [{bar:40}] {human_pos}/{human_len} ({eta} left)",
            ),
            None => (ProgressBar::no_length(), "{msg}: {human_pos} ({per_sec})"),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        Self(Some(bar))
    }

    /// `n` more steps done.
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }

    /// Done: the bar goes, leaving the terminal to the command's own summary.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
