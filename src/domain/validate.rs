//! Checks shared by the services. The HTTP layer validates requests against the spec
//! first; these keep the rules true for every other caller (jobs, tools, tests) and
//! keep values the database would reject (too long for `char(3)`) from becoming 500s.

use super::DomainError;

/// ISO 4217 shape: three upper-case ASCII letters.
pub(crate) fn currency(field: &str, value: &str) -> Result<(), DomainError> {
    if value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            "must be an ISO 4217 code: three upper-case letters such as EUR",
        ))
    }
}

/// The spec's BCP 47 shape: `^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`, at most 35 chars.
pub(crate) fn locale(field: &str, value: &str) -> Result<(), DomainError> {
    let mut parts = value.split('-');
    let language = parts.next().unwrap_or_default();
    let ok = value.len() <= 35
        && (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_alphabetic())
        && parts
            .all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            "must be a BCP 47 language tag such as en-US (at most 35 characters)",
        ))
    }
}

/// Between `min` and `max` characters (Unicode scalar values, as JSON Schema counts).
pub(crate) fn char_len(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), DomainError> {
    let len = value.chars().count();
    if (min..=max).contains(&len) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            format!("must be {min} to {max} characters long"),
        ))
    }
}

/// Text the databases can store: PostgreSQL refuses NUL in text, SQLite cuts at it.
pub(crate) fn no_nul(field: &str, value: &str) -> Result<(), DomainError> {
    if value.contains('\0') {
        return Err(DomainError::invalid(
            field,
            "must not contain the NUL character",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(currency("c", "EUR").is_ok());
        for bad in ["eur", "EURO", "EU", "E1R", ""] {
            assert!(currency("c", bad).is_err(), "{bad}");
        }
        for good in ["en", "en-US", "zh-Hant-TW", "sr-Latn-RS"] {
            assert!(locale("l", good).is_ok(), "{good}");
        }
        for bad in ["e", "english", "en_US", "en-", "en-U", "en-toolongpart", ""] {
            assert!(locale("l", bad).is_err(), "{bad}");
        }
        assert!(char_len("n", "é", 1, 1).is_ok());
        assert!(char_len("n", "", 1, 5).is_err());
    }
}
