//! Collects every invalid field of a request, so the caller hears about all of them at once.

use crate::domain::text::{Layout, TextError, check_free_text};
use crate::error::{AppError, FieldError};

/// The field error for a free text that breaks [`check_free_text`].
pub fn text_error(field: &str, e: TextError) -> FieldError {
    let error = FieldError::new(field, e.code());
    match e.character() {
        Some(c) => error.arg("character", c),
        None => error,
    }
}

#[derive(Debug, Default)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, code: &'static str) {
        self.0.push(FieldError::new(field, code));
    }

    pub fn add_error(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// A trimmed free text of `min..=max` characters that may hold paragraphs (a description,
    /// comment, answer, reason), following [`check_free_text`]; records a violation otherwise.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        self.free_text(field, value, min, max, Layout::Paragraphs)
    }

    /// As [`Violations::text`], for one line: a title, a name, an address.
    pub fn line(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        self.free_text(field, value, min, max, Layout::OneLine)
    }

    fn free_text(
        &mut self,
        field: &str,
        value: &str,
        min: usize,
        max: usize,
        layout: Layout,
    ) -> String {
        let v = value.trim().to_string();
        let n = v.chars().count();
        if n < min {
            let code = if n == 0 { "required" } else { "too_short" };
            self.0.push(FieldError::new(field, code).arg("min", min));
        } else if n > max {
            self.0
                .push(FieldError::new(field, "too_long").arg("max", max));
        } else if let Err(e) = check_free_text(&v, layout) {
            self.0.push(text_error(field, e));
        }
        v
    }

    /// Parses with `parse`, recording its error code.
    pub fn parse<T>(
        &mut self,
        field: &str,
        value: &str,
        parse: impl FnOnce(&str) -> Result<T, &'static str>,
    ) -> Option<T> {
        match parse(value) {
            Ok(v) => Some(v),
            Err(code) => {
                self.0.push(FieldError::new(field, code));
                None
            }
        }
    }

    pub fn range<N: PartialOrd + std::fmt::Display + Copy>(
        &mut self,
        field: &str,
        value: N,
        min: N,
        max: N,
    ) {
        if value < min || value > max {
            self.0.push(
                FieldError::new(field, "out_of_range")
                    .arg("min", min)
                    .arg("max", max),
            );
        }
    }

    /// A new password must pass [`check_new_password`].
    pub fn password(&mut self, field: &str, password: &str) {
        use crate::domain::account::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, check_new_password};
        if let Err(code) = check_new_password(password) {
            self.0.push(
                FieldError::new(field, code)
                    .arg("min", PASSWORD_MIN_CHARS)
                    .arg("max", PASSWORD_MAX_CHARS),
            );
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// 422 `validation_failed` with every violation, or Ok.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(self.0))
        }
    }
}
