//! Accounts: roles and the password rule.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Citizen,
    Official,
    Supervisor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Official => "official",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "citizen" => Some(Role::Citizen),
            "official" => Some(Role::Official),
            "supervisor" => Some(Role::Supervisor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Officials and supervisors act for a unit and must have one.
    pub fn needs_unit(self) -> bool {
        matches!(self, Role::Official | Role::Supervisor)
    }
}

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 128;

const COMMON: &str = include_str!("../../assets/common-passwords.txt");

/// Checks a new password: 10–128 characters and not one of the most common passwords.
/// Returns the field error code on failure.
pub fn check_new_password(password: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err("too_short");
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err("too_long");
    }
    let lower = password.to_lowercase();
    let common = COMMON
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| l == lower);
    if common {
        return Err("password_too_common");
    }
    if password
        .chars()
        .all(|c| c == password.chars().next().unwrap_or(' '))
    {
        return Err("password_too_common");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rule() {
        assert_eq!(check_new_password("short"), Err("too_short"));
        assert_eq!(check_new_password(&"x".repeat(129)), Err("too_long"));
        assert_eq!(
            check_new_password("Password123"),
            Err("password_too_common")
        );
        assert_eq!(check_new_password("MatKhau123"), Err("password_too_common"));
        assert_eq!(
            check_new_password("zzzzzzzzzzzz"),
            Err("password_too_common")
        );
        assert!(check_new_password("đường-hỏng-ở-ngõ-7").is_ok());
        // 10 characters counted as characters, not bytes.
        assert!(check_new_password("ưươơđđêêôô").is_ok());
    }

    #[test]
    fn roles_round_trip() {
        for r in [Role::Citizen, Role::Official, Role::Supervisor, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert!(Role::Official.needs_unit() && !Role::Admin.needs_unit());
    }
}
