//! Validated contact details: parse, don't validate.

use serde::Serialize;

/// A lower-cased, syntactically valid email address of at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim().to_lowercase();
        if s.len() > 254 {
            return Err("too_long");
        }
        let parsed: email_address::EmailAddress = s.parse().map_err(|_| "invalid_email")?;
        // A display name or comment ("Bob <b@x>") is not an address to store.
        if parsed.as_str() != s || !s.contains('@') || s.contains(' ') {
            return Err("invalid_email");
        }
        let domain = parsed.domain();
        if !domain.contains('.') || domain.starts_with('[') {
            return Err("invalid_email");
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A phone number kept as `+<digits>` (E.164); Vietnamese numbers may be written with a
/// leading 0 (`0912 345 678` → `+84912345678`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let compact: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let digits = if let Some(rest) = compact.strip_prefix('+') {
            rest.to_string()
        } else if let Some(rest) = compact.strip_prefix("00") {
            rest.to_string()
        } else if let Some(rest) = compact.strip_prefix('0') {
            format!("84{rest}")
        } else {
            return Err("invalid_phone");
        };
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("invalid_phone");
        }
        Ok(Phone(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Lan.Nguyen@Example.VN ").unwrap().as_str(),
            "lan.nguyen@example.vn"
        );
        for bad in [
            "",
            "no-at",
            "a@b",
            "a b@c.vn",
            "Bob <b@x.vn>",
            "@x.vn",
            "a@.vn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Email::parse(&format!("{}@x.vn", "a".repeat(250))),
            Err("too_long")
        );
    }

    #[test]
    fn vietnamese_phone_numbers_become_e164() {
        assert_eq!(
            Phone::parse("0912 345 678").unwrap().as_str(),
            "+84912345678"
        );
        assert_eq!(
            Phone::parse("+84-912-345-678").unwrap().as_str(),
            "+84912345678"
        );
        assert!(Phone::parse("12345").is_err());
        assert!(Phone::parse("09abc").is_err());
    }
}
