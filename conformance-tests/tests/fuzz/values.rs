//! Values: valid ones for a schema, and the ways to break exactly one of its
//! constraints.

use proptest::{prelude::*, strategy::Union};
use regex::Regex;
use serde_json::{Value, json};

use crate::spec::{Scalar, StrSpec, Ty};

/// Characters of free text: mostly ASCII, with what tends to break things (LIKE
/// wildcards, quotes, URL delimiters, multi-byte and case-changing characters,
/// combining marks, controls).
pub fn any_char() -> BoxedStrategy<char> {
    prop_oneof![
        6 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('A', 'Z'),
        2 => proptest::char::range('0', '9'),
        2 => proptest::sample::select(vec![
            ' ', '-', '_', '.', '%', '\\', '\'', '"', '/', '?', '&', '=', '+', '#', '*', ';',
        ]),
        2 => proptest::sample::select(vec![
            'é', 'ß', 'İ', 'Ω', '中', '🐝', '\u{301}', 'ſ', '\u{212a}', 'Σ',
        ]),
        1 => proptest::sample::select(vec!['\0', '\n', '\t', '\u{7f}', '\u{feff}']),
    ]
    .boxed()
}

pub fn free_text(lo: usize, hi: usize) -> BoxedStrategy<String> {
    proptest::collection::vec(any_char(), lo..=hi)
        .prop_map(String::from_iter)
        .boxed()
}

pub fn chars_of(class: &'static str, lo: usize, hi: usize) -> BoxedStrategy<String> {
    let chars: Vec<char> = class.chars().collect();
    proptest::collection::vec(proptest::sample::select(chars), lo..=hi)
        .prop_map(String::from_iter)
        .boxed()
}

pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `*` and `+` outside classes and escapes bounded to `k` repetitions, so that the
/// regex strategy stays within reach of a maximum length.
pub fn bound_repetitions(pattern: &str, k: usize) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                out.extend(chars.next());
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            '*' if !in_class => out.push_str(&format!("{{0,{k}}}")),
            '+' if !in_class => out.push_str(&format!("{{1,{k}}}")),
            _ => out.push(c),
        }
    }
    out
}

/// Strings matching `pattern` (ECMA-262 semantics: unanchored means "contains"), of
/// `lo..=hi` characters: a match of the pattern's core, padded with free text on the
/// unanchored sides up to a length drawn first.
pub fn matching(pattern: &str, lo: usize, hi: usize) -> BoxedStrategy<String> {
    let re = Regex::new(pattern).unwrap_or_else(|e| panic!("pattern {pattern}: {e}"));
    let anchored_start = pattern.starts_with('^');
    let anchored_end = pattern.ends_with('$') && !pattern.ends_with("\\$");
    let core = pattern.strip_prefix('^').unwrap_or(pattern);
    let core = if anchored_end {
        &core[..core.len() - 1]
    } else {
        core
    };
    // Up to `hi` repetitions too: an anchored pattern (`^[^x]*$`) has no padding, so
    // only a long enough core reaches a long `lo`.
    let cores: Vec<BoxedStrategy<String>> = [1, 2, 4, 8, 16, hi.max(1)]
        .into_iter()
        .map(|k| {
            proptest::string::string_regex(&bound_repetitions(core, k))
                .unwrap_or_else(|e| panic!("pattern {pattern}: {e}"))
                .boxed()
        })
        .collect();
    let pool = if anchored_start && anchored_end {
        0
    } else {
        hi
    };
    (
        Union::new(cores),
        lo..=hi,
        0..=100usize,
        proptest::collection::vec(any_char(), pool),
    )
        .prop_map(move |(core, target, split, pool)| {
            let total = target.saturating_sub(char_len(&core));
            let before = match (anchored_start, anchored_end) {
                (true, true) => 0,
                (true, false) => 0,
                (false, true) => total,
                (false, false) => total * split / 100,
            };
            let after = if anchored_start && anchored_end {
                0
            } else {
                total - before
            };
            let prefix: String = pool[..before].iter().collect();
            let suffix: String = pool[pool.len() - after..].iter().collect();
            format!("{prefix}{core}{suffix}")
        })
        .prop_filter("length and pattern", move |s| {
            (lo..=hi).contains(&char_len(s)) && re.is_match(s)
        })
        .boxed()
}

/// Strings of `lo..=hi` characters that do not match `pattern`.
pub fn not_matching(pattern: &str, lo: usize, hi: usize) -> BoxedStrategy<String> {
    let re = Regex::new(pattern).unwrap_or_else(|e| panic!("pattern {pattern}: {e}"));
    let hi = hi.max(lo);
    let mutated = matching(pattern, lo.saturating_sub(1).max(1), hi)
        .prop_flat_map(|s| {
            let n = char_len(&s);
            (Just(s), 0..n, any_char())
        })
        .prop_map(|(s, at, c)| {
            let mut chars: Vec<char> = s.chars().collect();
            chars[at] = c;
            String::from_iter(chars)
        });
    prop_oneof![
        chars_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
            lo,
            hi
        ),
        chars_of("0123456789", lo, hi),
        chars_of(" -_.%/+!*", lo, hi),
        // Control characters, NUL above all: what patterns that exclude them refuse.
        chars_of("\u{0}\u{1}\t\n", lo.max(1), hi),
        free_text(lo, hi),
        mutated,
    ]
    .prop_filter("does not match", move |s| {
        (lo..=hi).contains(&char_len(s)) && !re.is_match(s)
    })
    .boxed()
}

/// An email address of exactly `len` characters (`len >= 10`): a local part, then
/// labels of at most 63 characters.
pub fn email_of_len(local: &str, fill: &[char], len: usize) -> String {
    let tld = ".com";
    let mut domain = String::new();
    let mut remaining = len.saturating_sub(local.len() + 1 + tld.len()).max(1);
    let mut i = 0;
    while remaining > 0 {
        let mut n = remaining.min(63);
        if remaining - n == 1 && n > 1 {
            n -= 1;
        }
        for _ in 0..n {
            domain.push(fill[i % fill.len()]);
            i += 1;
        }
        remaining -= n;
        if remaining > 0 {
            domain.push('.');
            remaining -= 1;
        }
    }
    format!("{local}@{domain}{tld}")
}

pub fn emails(lo: usize, hi: usize) -> BoxedStrategy<String> {
    let mut options = Vec::new();
    if lo <= 40 {
        options.push(
            (
                "[a-zA-Z0-9]{1,16}(\\.[a-zA-Z0-9_+-]{1,8})?",
                "[a-z0-9]{1,12}(-[a-z0-9]{1,6})?",
                proptest::sample::select(vec!["com", "org", "net", "example", "io"]),
            )
                .prop_map(|(local, domain, tld)| format!("{local}@{domain}.{tld}"))
                .prop_filter("length", move |s| (lo..=hi).contains(&s.len()))
                .boxed(),
        );
    }
    let lo_exact = lo.max(12);
    if lo_exact <= hi {
        options.push(
            (
                "[a-z0-9]{1,20}",
                proptest::collection::vec(proptest::char::range('a', 'z'), 8),
                lo_exact..=hi.min(lo_exact + 60),
            )
                .prop_map(|(local, fill, len)| email_of_len(&local, &fill, len))
                .boxed(),
        );
    }
    Union::new(options).boxed()
}

pub fn not_emails(lo: usize, hi: usize) -> BoxedStrategy<String> {
    prop_oneof![
        "[a-z0-9.]{1,30}",
        "@[a-z0-9]{1,12}\\.com",
        "[a-z0-9]{1,12}@",
        "[a-z0-9]{1,8}@@[a-z0-9]{1,8}\\.com",
        "[a-z0-9]{1,8} [a-z0-9]{1,8}@[a-z0-9]{1,8}\\.com",
    ]
    .prop_filter("length", move |s| (lo..=hi).contains(&s.len()))
    .boxed()
}

pub fn date_times() -> BoxedStrategy<String> {
    (
        1970u32..=2100,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
    )
        .prop_map(|(y, m, d, h, mi, s)| format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"))
        .boxed()
}

pub fn uuids() -> BoxedStrategy<String> {
    "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}".boxed()
}

/// Valid strings of `lo..=hi` characters for `spec`, ignoring its own length bounds.
pub fn strings(spec: &StrSpec, lo: usize, hi: usize) -> BoxedStrategy<String> {
    if let Some(choices) = &spec.choices {
        return proptest::sample::select(choices.clone()).boxed();
    }
    match (&spec.pattern, spec.format.as_deref()) {
        (None, None) => free_text(lo, hi),
        (None, Some("email")) => emails(lo, hi),
        (None, Some("uuid")) => uuids(),
        (None, Some("date-time")) => date_times()
            .prop_filter("length", move |s| (lo..=hi).contains(&s.len()))
            .boxed(),
        (Some(pattern), None) => matching(pattern, lo, hi),
        (pattern, format) => panic!("no generator for pattern {pattern:?} with format {format:?}"),
    }
}

/// The most characters generated where the schema sets no maximum.
pub const UNBOUNDED: usize = 80;

pub fn valid_string(spec: &StrSpec) -> BoxedStrategy<String> {
    let hi = spec.max.unwrap_or(UNBOUNDED.max(spec.min));
    let strategy = strings(spec, spec.min, hi);
    match spec.max_bytes {
        Some(max_bytes) => strategy
            .prop_filter("byte limit", move |s| s.len() <= max_bytes)
            .boxed(),
        None => strategy,
    }
}

pub fn ints(lo: i128, hi: i128) -> BoxedStrategy<i128> {
    let mut special = vec![lo, hi];
    if lo < 0 && 0 < hi {
        special.push(0);
    }
    if lo < hi {
        special.extend([lo + 1, hi - 1]);
    }
    prop_oneof![
        2 => proptest::sample::select(special),
        3 => lo..=hi.min(lo + 100),
        3 => lo..=hi,
    ]
    .boxed()
}

pub fn integer_value(n: i128) -> Value {
    json!(i64::try_from(n).expect("body integers stay within int64"))
}

/// Valid values of `scalar` as JSON, with its examples and `hints` (values the world
/// knows to be interesting: the user's own id, issued cursors, the right password).
pub fn valid_value(scalar: &Scalar, hints: &[Value]) -> BoxedStrategy<Value> {
    let generated = match &scalar.ty {
        Ty::Integer { lo, hi, .. } => ints(*lo, *hi).prop_map(integer_value).boxed(),
        Ty::Str(spec) => valid_string(spec).prop_map(Value::String).boxed(),
        Ty::Boolean => any::<bool>().prop_map(Value::Bool).boxed(),
    };
    let generated = if scalar.nullable {
        prop_oneof![1 => Just(Value::Null), 4 => generated].boxed()
    } else {
        generated
    };
    let mut options = vec![(4, generated)];
    if !scalar.examples.is_empty() {
        options.push((1, proptest::sample::select(scalar.examples.clone()).boxed()));
    }
    if !hints.is_empty() {
        options.push((6, proptest::sample::select(hints.to_vec()).boxed()));
    }
    Union::new_weighted(options).boxed()
}

/// How a parameter's value is written in a URL.
pub fn as_param(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One way to break one constraint of one value.
pub struct Breakage {
    pub what: String,
    pub values: BoxedStrategy<Value>,
}

pub fn breakage(what: impl Into<String>, values: BoxedStrategy<Value>) -> Breakage {
    Breakage {
        what: what.into(),
        values,
    }
}

/// Every way to break exactly one constraint of `scalar` (not counting "missing"),
/// for a parameter (`in_url`: every value is text) or a JSON body property.
pub fn breakages(scalar: &Scalar, in_url: bool) -> Vec<Breakage> {
    let mut out = Vec::new();
    let text = |s: &'static str| Value::String(s.to_string());
    if !in_url {
        if !scalar.nullable {
            out.push(breakage(
                "null where not nullable",
                Just(Value::Null).boxed(),
            ));
        }
        let wrong: Vec<Value> = match &scalar.ty {
            Ty::Integer { .. } => vec![text("12"), json!(true), json!(1.5), json!([]), json!({})],
            Ty::Str(_) => vec![json!(12), json!(true), json!([]), json!({"a": 1})],
            Ty::Boolean => vec![text("true"), json!(1), json!([])],
        };
        out.push(breakage(
            "wrong type",
            proptest::sample::select(wrong).boxed(),
        ));
    }
    match &scalar.ty {
        Ty::Integer { lo, hi, flo, fhi } => {
            let (lo, hi, flo, fhi) = (*lo, *hi, *flo, *fhi);
            if in_url {
                out.push(breakage(
                    "not an integer",
                    proptest::sample::select(vec![
                        text("abc"),
                        text("1.5"),
                        text("1e3"),
                        text("0x10"),
                        text("true"),
                        text("NaN"),
                        text(""),
                    ])
                    .boxed(),
                ));
                out.push(breakage(
                    "outside the format's range",
                    prop_oneof![
                        (fhi + 1..=fhi * 1000).prop_map(|n| Value::String(n.to_string())),
                        (flo * 1000..=flo - 1).prop_map(|n| Value::String(n.to_string())),
                    ]
                    .boxed(),
                ));
            }
            let encode = move |n: i128| {
                if in_url {
                    Value::String(n.to_string())
                } else {
                    integer_value(n)
                }
            };
            if lo > flo {
                out.push(breakage(
                    format!("below the minimum {lo}"),
                    prop_oneof![Just(lo - 1), (lo - 1000).max(flo)..=lo - 1, flo..=lo - 1]
                        .prop_map(encode)
                        .boxed(),
                ));
            }
            if hi < fhi {
                out.push(breakage(
                    format!("above the maximum {hi}"),
                    prop_oneof![Just(hi + 1), hi + 1..=(hi + 1000).min(fhi), hi + 1..=fhi]
                        .prop_map(encode)
                        .boxed(),
                ));
            }
        }
        Ty::Str(spec) => {
            let hi = spec.max.unwrap_or(UNBOUNDED.max(spec.min));
            if spec.min > 0 {
                let lo = usize::from(spec.pattern.is_some() || spec.format.is_some());
                if lo < spec.min {
                    out.push(breakage(
                        format!("shorter than minLength {}", spec.min),
                        strings(spec, lo, spec.min - 1)
                            .prop_map(Value::String)
                            .boxed(),
                    ));
                }
            }
            if let Some(max) = spec.max {
                out.push(breakage(
                    format!("longer than maxLength {max}"),
                    strings(spec, max + 1, max + 40)
                        .prop_map(Value::String)
                        .boxed(),
                ));
            }
            if let Some(pattern) = &spec.pattern {
                out.push(breakage(
                    format!("not matching {pattern}"),
                    not_matching(pattern, spec.min, hi)
                        .prop_map(Value::String)
                        .boxed(),
                ));
            }
            if spec.format.as_deref() == Some("email") {
                out.push(breakage(
                    "not an email address",
                    not_emails(spec.min, hi).prop_map(Value::String).boxed(),
                ));
            }
            if spec.format.as_deref() == Some("uuid") {
                out.push(breakage(
                    "not a UUID",
                    proptest::sample::select(vec![
                        text("not-a-uuid"),
                        text("12345"),
                        text("9b2f6c1e-4d7a-4f3e-8a21-5c0d9e7b1a4"),
                    ])
                    .boxed(),
                ));
            }
            if spec.format.as_deref() == Some("date-time") {
                out.push(breakage(
                    "not a date-time",
                    proptest::sample::select(vec![
                        text("2023-13-45T99:00:00Z"),
                        text("yesterday"),
                        text("2023-07-15"),
                    ])
                    .boxed(),
                ));
            }
            if let Some(choices) = &spec.choices {
                let choices = choices.clone();
                out.push(breakage(
                    "not one of the enum",
                    "[a-z]{0,12}"
                        .prop_filter("not in the enum", move |s| !choices.contains(s))
                        .prop_map(Value::String)
                        .boxed(),
                ));
            }
            if let Some(max_bytes) = spec.max_bytes {
                let spec = spec.clone();
                out.push(breakage(
                    format!("over {max_bytes} bytes in UTF-8 (within maxLength)"),
                    strings(&spec, spec.min, hi)
                        .prop_filter("over the byte limit", move |s| s.len() > max_bytes)
                        .prop_map(Value::String)
                        .boxed(),
                ));
            }
        }
        Ty::Boolean => {
            if in_url {
                out.push(breakage(
                    "not a boolean",
                    proptest::sample::select(vec![text("maybe"), text("2")]).boxed(),
                ));
            }
        }
    }
    out
}
