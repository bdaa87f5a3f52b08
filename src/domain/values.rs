//! Validated values. Each `parse` trims and normalises what a person typed and says, in
//! words, what is wrong with it. A value of these types is valid by construction.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::Error;

macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_value!(
    /// 3–32 characters: lowercase letters, digits, `.`, `_`, `-`; starts with a letter.
    Username
);
text_value!(
    /// An email address, stored lowercase.
    Email
);
text_value!(
    /// URL-friendly: lowercase letters and digits joined by single dashes.
    Slug
);
text_value!(
    /// What a barcode scanner types: letters, digits, `-`, `.`, `_`; stored uppercase.
    Sku
);
text_value!(
    /// A Kenyan mobile number as M-Pesa wants it: 2547XXXXXXXX or 2541XXXXXXXX.
    Phone
);
text_value!(
    /// An M-Pesa receipt number: 10 uppercase letters or digits, e.g. `QKH94M1Z11`.
    MpesaReceipt
);

/// The longest text each field takes, in characters. The parsers refuse beyond it and the
/// screens stop typing there, saying so.
pub mod limits {
    pub const USERNAME: usize = 32;
    pub const EMAIL: usize = 254;
    /// Typed any usual way: "+254 (712) 345-678".
    pub const PHONE: usize = 20;
    pub const SKU: usize = 64;
    pub const SLUG: usize = 120;
    pub const PRODUCT_NAME: usize = 200;
    pub const DESCRIPTION: usize = 10_000;
    pub const IMAGE_URL: usize = 2_000;
    pub const CATEGORY_NAME: usize = 100;
    /// A reason or a resolution typed by an admin.
    pub const REASON: usize = 200;
    pub const NOTE: usize = 500;
    /// Text searched by (customers, users, the audit log).
    pub const SEARCH: usize = 100;
    pub const PASSWORD: usize = crate::domain::password::MAX_CHARS;
}

/// Control characters, or the invisible format characters that reorder or hide text (a
/// right-to-left override, a zero-width space): text that shows one thing and holds another.
fn has_control_chars(s: &str) -> bool {
    s.chars().any(|c| c.is_control() || is_hidden_format(c))
}

fn is_hidden_format(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

impl Username {
    pub fn parse(input: &str) -> Result<Self, Error> {
        const FIELD: &str = "Username";
        let s = input.trim().to_lowercase();
        let len = s.chars().count();
        if !(3..=limits::USERNAME).contains(&len) {
            return Err(Error::invalid(FIELD, "must be 3 to 32 characters"));
        }
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(Error::invalid(FIELD, "must start with a letter"));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(Error::invalid(
                FIELD,
                "use only letters, digits, '.', '_' or '-'",
            ));
        }
        Ok(Username(s))
    }
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, Error> {
        const FIELD: &str = "Email";
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err(Error::invalid(FIELD, "is required"));
        }
        if s.len() > limits::EMAIL || has_control_chars(&s) || s.contains(char::is_whitespace) {
            return Err(Error::invalid(FIELD, "is not a valid address"));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(Error::invalid(
                FIELD,
                "needs an '@', like name@example.co.ke",
            ));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(Error::invalid(
                FIELD,
                "is not a valid address, like name@example.co.ke",
            ));
        }
        Ok(Email(s))
    }
}

impl Slug {
    pub fn parse(input: &str) -> Result<Self, Error> {
        const FIELD: &str = "Slug";
        let s = input.trim();
        if s.is_empty() || s.len() > limits::SLUG {
            return Err(Error::invalid(FIELD, "must be 1 to 120 characters"));
        }
        let valid = s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if !valid {
            return Err(Error::invalid(
                FIELD,
                "use lowercase letters and digits joined by single dashes",
            ));
        }
        Ok(Slug(s.to_owned()))
    }

    /// A slug made from a name: "Samsung Galaxy A15 (128GB)" → "samsung-galaxy-a15-128gb".
    /// Letters outside ASCII are dropped; a name with none left becomes "item".
    pub fn from_name(name: &str) -> Slug {
        let mut slug = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
            if slug.len() >= 110 {
                break;
            }
        }
        let slug = slug.trim_end_matches('-');
        Slug(if slug.is_empty() {
            "item".to_owned()
        } else {
            slug.to_owned()
        })
    }

    /// The same slug with a numeric suffix, for when the plain one is taken.
    pub fn with_suffix(&self, n: u32) -> Slug {
        Slug(format!("{}-{n}", self.0))
    }
}

impl Sku {
    pub fn parse(input: &str) -> Result<Self, Error> {
        const FIELD: &str = "SKU";
        let s = input.trim().to_uppercase();
        if s.is_empty() || s.len() > limits::SKU {
            return Err(Error::invalid(FIELD, "must be 1 to 64 characters"));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return Err(Error::invalid(
                FIELD,
                "use only letters, digits, '-', '.' or '_'",
            ));
        }
        Ok(Sku(s))
    }
}

impl Phone {
    /// Accepts 0712 345 678, +254 712 345 678, 254712345678, 712345678 (and 01… numbers).
    pub fn parse(input: &str) -> Result<Self, Error> {
        const FIELD: &str = "Phone";
        let digits: String = input
            .trim()
            .trim_start_matches('+')
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(Error::invalid(FIELD, "use digits only, like 0712 345 678"));
        }
        let national = if let Some(rest) = digits.strip_prefix("254") {
            rest
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest
        } else {
            &digits
        };
        if !is_kenyan_mobile(national) {
            return Err(Error::invalid(
                FIELD,
                "must be a Kenyan mobile number, like 0712 345 678 or 0110 123 456",
            ));
        }
        Ok(Phone(format!("254{national}")))
    }
}

/// A Kenyan mobile's nine national digits: 7 and eight more, or 1 followed by 00–08, 1x, 20,
/// 21, 24, 30 or 40–45 and six more (the pattern libphonenumber holds). Other 01… numbers are
/// no phone, and an M-Pesa push must not go to them.
fn is_kenyan_mobile(national: &str) -> bool {
    let digits = national.as_bytes();
    if digits.len() != 9 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    match (digits[0], digits[1], digits[2]) {
        (b'7', _, _) => true,
        (b'1', b'0', c) => c != b'9',
        (b'1', b'1', _) => true,
        (b'1', b'2', c) => matches!(c, b'0' | b'1' | b'4'),
        (b'1', b'3', b'0') => true,
        (b'1', b'4', c) => c <= b'5',
        _ => false,
    }
}

impl MpesaReceipt {
    pub fn parse(input: &str) -> Result<Self, Error> {
        let s = input.trim().to_uppercase();
        if s.len() != 10
            || !s
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Err(Error::invalid(
                "M-Pesa code",
                "must be 10 letters or digits, like QKH94M1Z11",
            ));
        }
        Ok(MpesaReceipt(s))
    }
}

/// What to look for when a person is searched by text: a phone number typed any usual way
/// becomes its stored form (2547…); anything else is used as typed.
pub fn person_needle(text: &str) -> String {
    let text = text.trim();
    Phone::parse(text).map_or_else(|_| text.to_owned(), |phone| phone.to_string())
}

/// Text to search by (a customer, a user, the audit log): at most `limits::SEARCH`
/// characters, none hidden; empty is allowed (everything).
pub fn parse_search(field: &'static str, input: &str) -> Result<String, Error> {
    let s = input.trim();
    if s.chars().count() > limits::SEARCH {
        return Err(Error::invalid(
            field,
            format!("must be at most {} characters", limits::SEARCH),
        ));
    }
    if has_control_chars(s) {
        return Err(Error::invalid(field, "contains control characters"));
    }
    Ok(s.to_owned())
}

/// A free-text name (product, category): trimmed, 1..=max characters, no control characters.
pub fn parse_name(field: &'static str, input: &str, max: usize) -> Result<String, Error> {
    let s = input.trim();
    if s.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if s.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if has_control_chars(s) {
        return Err(Error::invalid(field, "contains control characters"));
    }
    Ok(s.to_owned())
}

/// Longer free text (descriptions): newlines and tabs allowed, other control characters not.
pub fn parse_text(field: &'static str, input: &str, max: usize) -> Result<String, Error> {
    let s = input.trim();
    if s.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_hidden_format(c))
    {
        return Err(Error::invalid(field, "contains control characters"));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse("  Wanjiku ").unwrap().as_str(), "wanjiku");
        assert_eq!(
            Username::parse("j.otieno_2").unwrap().as_str(),
            "j.otieno_2"
        );
        for bad in [
            "ab",
            "1abc",
            "has space",
            "emoji😀x",
            "a'; drop table users;--",
            &"x".repeat(33),
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse("Amina@Example.CO.KE").unwrap().as_str(),
            "amina@example.co.ke"
        );
        for bad in [
            "",
            "no-at",
            "a@b",
            "@x.com",
            "a@.com",
            "a b@x.com",
            "a@x..com",
            "a@x.com\u{7}",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn slugs_come_from_names() {
        assert_eq!(
            Slug::from_name("Samsung Galaxy A15 (128GB)").as_str(),
            "samsung-galaxy-a15-128gb"
        );
        assert_eq!(
            Slug::from_name("  --Unga wa Ngano 2kg--").as_str(),
            "unga-wa-ngano-2kg"
        );
        assert_eq!(Slug::from_name("☕☕").as_str(), "item");
        assert_eq!(Slug::from_name("a").with_suffix(2).as_str(), "a-2");
        assert!(Slug::parse("ok-slug-1").is_ok());
        for bad in ["", "Upper", "double--dash", "-lead", "trail-", "sp ace"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn skus_are_uppercased() {
        assert_eq!(Sku::parse(" tec-spk10 ").unwrap().as_str(), "TEC-SPK10");
        assert_eq!(
            Sku::parse("6161101600012").unwrap().as_str(),
            "6161101600012"
        );
        assert!(Sku::parse("has space").is_err());
        assert!(Sku::parse("").is_err());
    }

    #[test]
    fn phones_are_normalised_to_254() {
        for ok in [
            "0712345678",
            "+254 712 345 678",
            "254712345678",
            "712345678",
            "0712-345-678",
        ] {
            assert_eq!(Phone::parse(ok).unwrap().as_str(), "254712345678", "{ok}");
        }
        assert_eq!(Phone::parse("0110123456").unwrap().as_str(), "254110123456");
        for mobile in [
            "0100123456",
            "0118123456",
            "0121123456",
            "0130123456",
            "0145123456",
        ] {
            assert!(Phone::parse(mobile).is_ok(), "{mobile}");
        }
        // 01… numbers outside the mobile blocks are no phone an M-Pesa push can reach.
        for landline_or_nothing in [
            "0109123456",
            "0150123456",
            "0190123456",
            "0122123456",
            "0131123456",
            "0146123456",
        ] {
            assert!(
                Phone::parse(landline_or_nothing).is_err(),
                "{landline_or_nothing}"
            );
        }
        for bad in [
            "0812345678",
            "07123",
            "+1 555 1234567",
            "07123456789",
            "07abc45678",
            "",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hidden_format_characters_are_refused_like_control_characters() {
        let reversed = "amina\u{202e}ek.oc.elpmaxe@";
        assert!(Email::parse(&format!("{reversed}x.ke")).is_err());
        assert!(parse_name("Name", "Chai\u{200b}", 50).is_err());
        assert!(parse_text("Description", "a\u{2066}b", 50).is_err());
        assert!(parse_search("Customer", "\u{feff}amina").is_err());
        assert!(parse_search("Customer", &"x".repeat(1 << 20)).is_err());
        assert_eq!(
            parse_search("Customer", "  0712 345 678 ").unwrap(),
            "0712 345 678"
        );
    }

    #[test]
    fn mpesa_receipts_are_ten_uppercase_alphanumerics() {
        assert_eq!(
            MpesaReceipt::parse(" qkh94m1z11 ").unwrap().as_str(),
            "QKH94M1Z11"
        );
        for bad in ["QKH94M1Z1", "QKH94M1Z111", "QKH94M1Z1!", "QKH94 M1Z1"] {
            assert!(MpesaReceipt::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_refuse_control_characters_and_length() {
        assert_eq!(parse_name("Name", "  Chai  ", 10).unwrap(), "Chai");
        assert!(parse_name("Name", "", 10).is_err());
        assert!(parse_name("Name", "a\u{1b}[2J", 10).is_err());
        assert!(parse_name("Name", &"x".repeat(11), 10).is_err());
        assert_eq!(parse_name("Name", "مرحبا 😀", 10).unwrap(), "مرحبا 😀");
        assert!(parse_text("Description", "line one\nline two", 100).is_ok());
    }
}
