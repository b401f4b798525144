//! The spec's own extensions on operations, read at build time:
//!
//! - `x-handler: <name>`: the trait method that serves the operation (default: its
//!   operationId). Operations naming the same handler (a v2 operation unchanged from
//!   v1) share one method, and must take and answer exactly the same things.
//! - `x-deprecated-at`, `x-sunset` (dates) and `x-successor` (an operationId) on a
//!   `deprecated: true` operation: its `Deprecation`, `Sunset` and `Link` headers.
//! - `x-rate-limit: {requests: N, per: "1m", key: ip | user}`: the operation's budget.
//! - `x-max-body-bytes: N` on an operation with a binary upload body: its own body
//!   limit in place of the service-wide one.
//!   `per` is a whole number of `s`, `m`, `h` or `d`. An operation with a limit must
//!   document its 429, so clients know what being limited looks like.

use openapiv3::Operation;
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::error::{Result, SpecError};

/// A rate limit as the spec states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per_secs: u64,
    /// `true` when counted per token subject (falling back to the IP without one).
    pub per_user: bool,
}

impl RateLimit {
    pub fn tokens(&self) -> TokenStream {
        let requests = self.requests;
        let per_secs = self.per_secs;
        let key = if self.per_user {
            quote! { RateLimitKey::User }
        } else {
            quote! { RateLimitKey::Ip }
        };
        quote! { Some(RateLimitMeta { requests: #requests, per_secs: #per_secs, key: #key }) }
    }
}

/// The operation's `x-handler`: the name of the trait method that serves it.
pub fn handler(op: &Operation, location: &str) -> Result<Option<String>> {
    match op.extensions.get("x-handler") {
        None => Ok(None),
        Some(Value::String(name))
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Ok(Some(name.clone()))
        }
        Some(_) => Err(SpecError::new(
            format!("{location}.x-handler"),
            "must be a name made of letters, digits and underscores (e.g. `createUser`)",
        )),
    }
}

/// What a deprecated operation announces (RFC 9745 `Deprecation`, RFC 8594 `Sunset`,
/// and a `Link` to its successor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deprecation {
    /// `@<unix seconds>` of `x-deprecated-at`.
    pub deprecation: String,
    /// `x-sunset` as an HTTP-date.
    pub sunset: String,
    /// The operationId named by `x-successor`, resolved to a path by the caller.
    pub successor: Option<String>,
}

/// `x-deprecated-at`, `x-sunset` and `x-successor` of a `deprecated: true` operation.
pub fn deprecation(op: &Operation, location: &str) -> Result<Option<Deprecation>> {
    let date = |name: &str| -> Result<Option<(i64, String)>> {
        match op.extensions.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_str()
                .and_then(parse_date)
                .map(Some)
                .ok_or_else(|| {
                    SpecError::new(
                        format!("{location}.{name}"),
                        "must be a date like 2027-06-30",
                    )
                }),
        }
    };
    let deprecated_at = date("x-deprecated-at")?;
    let sunset = date("x-sunset")?;
    let successor = match op.extensions.get("x-successor") {
        None => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => {
            return Err(SpecError::new(
                format!("{location}.x-successor"),
                "must be the operationId of the operation that replaces this one",
            ));
        }
    };
    if !op.deprecated {
        if deprecated_at.is_some() || sunset.is_some() || successor.is_some() {
            return Err(SpecError::new(
                location,
                "x-deprecated-at, x-sunset and x-successor need `deprecated: true`",
            ));
        }
        return Ok(None);
    }
    // `deprecated: true` alone marks the operation deprecated (in code and docs); the
    // headers need both dates. Requiring them is the lint's house rule, not the
    // generator's.
    let (deprecated_secs, sunset_date) = match (deprecated_at, sunset) {
        (Some((deprecated_secs, _)), Some((_, sunset_date))) => (deprecated_secs, sunset_date),
        (None, None) if successor.is_none() => return Ok(None),
        _ => {
            return Err(SpecError::new(
                location,
                "x-deprecated-at and x-sunset go together (the Deprecation and Sunset \
                 headers), and x-successor needs them",
            ));
        }
    };
    Ok(Some(Deprecation {
        deprecation: format!("@{deprecated_secs}"),
        sunset: sunset_date,
        successor,
    }))
}

/// `YYYY-MM-DD` as (unix seconds at midnight UTC, HTTP-date).
fn parse_date(text: &str) -> Option<(i64, String)> {
    let mut parts = text.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if text.len() != 10 || !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if day > month_days[month as usize - 1] {
        return None;
    }
    let days = days_from_civil(year, month, day);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    let http_date = format!(
        "{weekday}, {day:02} {} {year} 00:00:00 GMT",
        MONTHS[month as usize - 1]
    );
    Some((days * 86_400, http_date))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The operation's `x-rate-limit`, checked.
pub fn rate_limit(op: &Operation, statuses: &[u16], location: &str) -> Result<Option<RateLimit>> {
    let Some(value) = op.extensions.get("x-rate-limit") else {
        return Ok(None);
    };
    let location = format!("{location}.x-rate-limit");
    let Value::Object(map) = value else {
        return Err(SpecError::new(
            location,
            "must be an object {requests, per, key}",
        ));
    };
    for key in map.keys() {
        if !["requests", "per", "key"].contains(&key.as_str()) {
            return Err(SpecError::new(
                format!("{location}.{key}"),
                "unknown field; x-rate-limit takes requests, per and key",
            ));
        }
    }
    let requests = map
        .get("requests")
        .and_then(Value::as_u64)
        .filter(|n| *n >= 1)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            SpecError::new(
                format!("{location}.requests"),
                "must be a whole number of requests, at least 1",
            )
        })?;
    let per = map.get("per").and_then(Value::as_str).unwrap_or_default();
    let per_secs = parse_duration(per).ok_or_else(|| {
        SpecError::new(
            format!("{location}.per"),
            format!("`{per}` is not a duration like 30s, 1m, 2h or 1d"),
        )
    })?;
    let per_user = match map.get("key").and_then(Value::as_str) {
        Some("ip") => false,
        Some("user") => true,
        _ => {
            return Err(SpecError::new(
                format!("{location}.key"),
                "must be `ip` or `user`",
            ));
        }
    };
    if !statuses.contains(&429) {
        return Err(SpecError::new(
            location.replace(".x-rate-limit", ".responses"),
            "an operation with x-rate-limit must document its 429 response",
        ));
    }
    Ok(Some(RateLimit {
        requests,
        per_secs,
        per_user,
    }))
}

/// `30s`, `1m`, `2h`, `1d` as seconds.
fn parse_duration(text: &str) -> Option<u64> {
    let unit = text.chars().last()?;
    let number: u64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return None,
    };
    number.checked_mul(seconds).filter(|s| *s > 0)
}

/// The operation's `x-max-body-bytes`, checked: only an upload body may raise its limit.
pub fn max_body_bytes(op: &Operation, is_upload: bool, location: &str) -> Result<Option<u64>> {
    let Some(value) = op.extensions.get("x-max-body-bytes") else {
        return Ok(None);
    };
    let location = format!("{location}.x-max-body-bytes");
    let bytes = value
        .as_u64()
        .filter(|n| *n >= 1)
        .ok_or_else(|| SpecError::new(&location, "must be a whole number of bytes, at least 1"))?;
    if !is_upload {
        return Err(SpecError::new(
            location,
            "only an operation with a binary upload or multipart body may set its own body limit",
        ));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::{parse_date, parse_duration};

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("1970-01-01"),
            Some((0, "Thu, 01 Jan 1970 00:00:00 GMT".into()))
        );
        assert_eq!(
            parse_date("2027-06-30"),
            Some((1_814_313_600, "Wed, 30 Jun 2027 00:00:00 GMT".into()))
        );
        assert_eq!(parse_date("2024-02-29").map(|d| d.0), Some(1_709_164_800));
        for bad in [
            "2023-02-29",
            "2027-13-01",
            "2027-6-30",
            "tomorrow",
            "2027-06-00",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(30));
        assert_eq!(parse_duration("1m"), Some(60));
        assert_eq!(parse_duration("2h"), Some(7_200));
        assert_eq!(parse_duration("1d"), Some(86_400));
        for bad in ["", "m", "0m", "1w", "1.5m", "-1m", "1 m"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
