//! A request's `Accept` header (RFC 9110 section 12.5.1): the media ranges it admits,
//! each with its weight, and the choice among the media types a response offers.

use poem::http::StatusCode;

use crate::Refusal;

/// The media ranges a request accepts. A request without `Accept` (or with none that
/// can be read) accepts anything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Accept {
    /// `(type, subtype, weight in thousandths)`, lower case; `*` for a wildcard.
    ranges: Vec<(String, String, u16)>,
}

impl Accept {
    /// Reads the value of an `Accept` header; None (no header) accepts anything. Entries
    /// that are not a media range, or whose `q` is not a weight, are left out.
    pub fn parse(header: Option<&str>) -> Self {
        let ranges = header
            .into_iter()
            .flat_map(|value| value.split(','))
            .filter_map(parse_range)
            .collect();
        Self { ranges }
    }

    /// The `Accept` of a request, its headers joined when it carries several.
    pub fn from_request(request: &poem::Request) -> Self {
        let values: Vec<&str> = request
            .headers()
            .get_all(poem::http::header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        if values.is_empty() {
            return Self::default();
        }
        Self::parse(Some(&values.join(",")))
    }

    /// Whether the request accepts any media type (it said nothing it can be held to).
    pub fn is_any(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The weight the request gives `media_type` (thousandths): that of the most
    /// specific range matching it, 0 when none does. A range offered (`text/*`) matches
    /// the ranges that overlap it.
    fn weight(&self, media_type: &str) -> u16 {
        if self.is_any() {
            return 1000;
        }
        let Some((kind, subtype)) = split_type(media_type) else {
            return 0;
        };
        self.ranges
            .iter()
            .filter(|(k, s, _)| overlaps(k, &kind) && overlaps(s, &subtype))
            .max_by_key(|(k, s, _)| (k != "*", s != "*"))
            .map_or(0, |(_, _, weight)| *weight)
    }

    /// Whether the request accepts `media_type` (parameters after `;` aside).
    pub fn admits(&self, media_type: &str) -> bool {
        self.weight(media_type) > 0
    }

    /// The media type among `offered` the request prefers: the highest weight, the one
    /// offered first among equals; None when it accepts none of them.
    pub fn preferred<'a>(&self, offered: &[&'a str]) -> Option<&'a str> {
        let mut best: Option<(&'a str, u16)> = None;
        for media_type in offered {
            let weight = self.weight(media_type);
            if weight > 0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((media_type, weight));
            }
        }
        best.map(|(media_type, _)| media_type)
    }
}

/// The 406 problem for an answer of `media_type` to a request that does not accept it.
pub fn not_acceptable(media_type: &str) -> Refusal {
    Refusal::new(
        StatusCode::NOT_ACCEPTABLE,
        format!("The answer is `{media_type}`, which the request's Accept header excludes."),
    )
}

/// `type/subtype`, lower case, parameters aside.
fn split_type(media_type: &str) -> Option<(String, String)> {
    let essence = media_type.split(';').next()?.trim().to_ascii_lowercase();
    let (kind, subtype) = essence.split_once('/')?;
    let token = |t: &str| !t.is_empty() && !t.contains(char::is_whitespace);
    (token(kind) && token(subtype) && !(kind == "*" && subtype != "*"))
        .then(|| (kind.to_string(), subtype.to_string()))
}

fn overlaps(range: &str, offered: &str) -> bool {
    range == "*" || offered == "*" || range == offered
}

/// One entry of `Accept`: its media range and its weight.
fn parse_range(entry: &str) -> Option<(String, String, u16)> {
    let mut parts = entry.split(';');
    let (kind, subtype) = split_type(parts.next()?)?;
    let mut weight = 1000;
    for parameter in parts {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("q") {
            weight = parse_weight(value.trim())?;
        }
    }
    Some((kind, subtype, weight))
}

/// A `q` value: `0` to `1` with up to three decimals, in thousandths.
fn parse_weight(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Accept;

    const OFFERED: &[&str] = &["application/json", "text/plain"];

    fn accept(value: &str) -> Accept {
        Accept::parse(Some(value))
    }

    #[test]
    fn no_accept_takes_the_first_offered() {
        assert_eq!(
            Accept::parse(None).preferred(OFFERED),
            Some("application/json")
        );
        assert!(Accept::parse(None).admits("image/png"));
    }

    #[test]
    fn the_highest_weight_wins() {
        let a = accept("application/json;q=0.5, text/plain");
        assert_eq!(a.preferred(OFFERED), Some("text/plain"));
        let a = accept("text/plain; q=0.2, application/json; q=0.9");
        assert_eq!(a.preferred(OFFERED), Some("application/json"));
    }

    #[test]
    fn ranges_match_with_the_most_specific_weight() {
        assert_eq!(accept("text/*").preferred(OFFERED), Some("text/plain"));
        assert_eq!(accept("*/*").preferred(OFFERED), Some("application/json"));
        // `text/plain;q=0` excludes it even though `*/*` admits everything else.
        let a = accept("*/*;q=0.1, text/plain;q=0");
        assert_eq!(a.preferred(OFFERED), Some("application/json"));
        assert!(!a.admits("text/plain"));
        assert!(a.admits("image/png"));
        let a = accept("TEXT/*;q=0.3, Text/Plain;q=0.8, */*;q=0.5");
        assert_eq!(a.preferred(OFFERED), Some("text/plain"));
        assert_eq!(a.preferred(&["text/html", "image/png"]), Some("image/png"));
    }

    #[test]
    fn an_accept_excluding_every_offer_prefers_none() {
        let a = accept("image/png, application/xml");
        assert_eq!(a.preferred(OFFERED), None);
        assert!(!a.admits("application/json"));
        assert!(!a.admits("text/plain; charset=utf-8"));
        assert_eq!(accept("application/json;q=0").preferred(OFFERED), None);
    }

    #[test]
    fn unreadable_entries_are_left_out() {
        let a = accept("nonsense, text/plain;q=2, */plain, application/json;q=0.25");
        assert_eq!(a.preferred(OFFERED), Some("application/json"));
        assert!(!a.admits("text/plain"));
        // Nothing readable: anything.
        assert!(accept("garbage;;").is_any());
        assert_eq!(accept("").preferred(OFFERED), Some("application/json"));
    }

    #[test]
    fn weights_have_up_to_three_decimals() {
        assert_eq!(super::parse_weight("1"), Some(1000));
        assert_eq!(super::parse_weight("1.000"), Some(1000));
        assert_eq!(super::parse_weight("0.5"), Some(500));
        assert_eq!(super::parse_weight("0.125"), Some(125));
        assert_eq!(super::parse_weight("0"), Some(0));
        assert_eq!(super::parse_weight("0.1234"), None);
        assert_eq!(super::parse_weight("1.5"), None);
        assert_eq!(super::parse_weight("-1"), None);
    }

    #[test]
    fn several_headers_are_read_as_one() {
        let request = poem::Request::builder()
            .header("accept", "image/png")
            .header("accept", "text/plain;q=0.5")
            .finish();
        let a = Accept::from_request(&request);
        assert_eq!(a.preferred(OFFERED), Some("text/plain"));
        let request = poem::Request::builder().finish();
        assert!(Accept::from_request(&request).is_any());
    }
}
