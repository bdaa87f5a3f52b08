//! Password policy (OWASP ASVS 6.2): at least 8 characters, no composition rules, no
//! truncation, and the passwords attackers try first are refused.

use crate::domain::Error;

pub const MIN_CHARS: usize = 8;
/// Long passphrases are welcome; the cap only stops someone from making us hash megabytes.
pub const MAX_CHARS: usize = 1024;

/// Passwords from public breach top lists, plus the local favourites.
const COMMON: &str = include_str!("common_passwords.txt");

/// Checks a new password; `username` is refused as a password too.
pub fn check_new_password(password: &str, username: &str) -> Result<(), Error> {
    const FIELD: &str = "Password";
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(Error::invalid(
            FIELD,
            format!("must be at least {MIN_CHARS} characters"),
        ));
    }
    if chars > MAX_CHARS {
        return Err(Error::invalid(
            FIELD,
            format!("must be at most {MAX_CHARS} characters"),
        ));
    }
    let lowered = password.to_lowercase();
    if lowered == username.to_lowercase() || is_common(&lowered) {
        return Err(Error::invalid(
            FIELD,
            "is too easy to guess; choose another",
        ));
    }
    Ok(())
}

fn is_common(lowered: &str) -> bool {
    COMMON
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .any(|common| common == lowered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_new_password("abc1234", "amina").is_err());
        assert!(check_new_password("correct horse", "amina").is_ok());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 8 characters, 16 bytes
        assert!(check_new_password("ñandúñañ", "amina").is_ok());
        assert!(check_new_password("ñandúña", "amina").is_err());
    }

    #[test]
    fn common_passwords_are_refused_whatever_the_case() {
        for common in [
            "password",
            "Password1",
            "12345678",
            "QWERTY123",
            "kenya2024",
            "iloveyou",
        ] {
            assert!(check_new_password(common, "amina").is_err(), "{common}");
        }
    }

    #[test]
    fn the_username_is_not_a_password() {
        assert!(check_new_password("wanjiku99", "Wanjiku99").is_err());
    }

    #[test]
    fn long_passphrases_are_kept_whole() {
        let long = "a".repeat(MAX_CHARS);
        assert!(check_new_password(&long, "amina").is_ok());
        assert!(check_new_password(&(long + "a"), "amina").is_err());
    }
}
