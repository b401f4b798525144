//! The value constraints of one schema: `enum`, `pattern`, lengths and ranges. Each
//! may only loosen on a request and only tighten on a response.

use serde_json::Value;

use super::{
    BreakingRule, Differ,
    schema::{At, Direction},
};

/// The length keywords, as (lower, upper) pairs.
const LENGTHS: [(&str, &str); 3] = [
    ("minLength", "maxLength"),
    ("minItems", "maxItems"),
    ("minProperties", "maxProperties"),
];

impl Differ<'_> {
    pub(super) fn enums(&mut self, old: &Value, new: &Value, direction: Direction, at: &At) {
        let (old_enum, new_enum) = (
            old.get("enum").and_then(Value::as_array),
            new.get("enum").and_then(Value::as_array),
        );
        let (rule, change) = match (direction, old_enum, new_enum) {
            (Direction::Request, None, Some(new_enum)) => (
                BreakingRule::RequestEnumValueRemoved,
                format!("now limited to {}", list(new_enum.iter())),
            ),
            (Direction::Request, Some(old_enum), Some(new_enum)) => {
                let removed: Vec<&Value> =
                    old_enum.iter().filter(|v| !new_enum.contains(v)).collect();
                if removed.is_empty() {
                    return;
                }
                (
                    BreakingRule::RequestEnumValueRemoved,
                    format!("{} no longer accepted", list(removed.into_iter())),
                )
            }
            (Direction::Response, Some(old_enum), None) => (
                BreakingRule::ResponseEnumValueAdded,
                format!("no longer limited to {}", list(old_enum.iter())),
            ),
            (Direction::Response, Some(old_enum), Some(new_enum)) => {
                let added: Vec<&Value> =
                    new_enum.iter().filter(|v| !old_enum.contains(v)).collect();
                if added.is_empty() {
                    return;
                }
                (
                    BreakingRule::ResponseEnumValueAdded,
                    format!("{} may now be answered", list(added.into_iter())),
                )
            }
            _ => return,
        };
        self.finding(&at.location, rule, change, at.defined_at.as_deref());
    }

    /// A pattern is compared as text: whether one regex accepts all another does is
    /// not decidable in general, so any change on the strict side counts.
    pub(super) fn patterns(&mut self, old: &Value, new: &Value, direction: Direction, at: &At) {
        let (old_pattern, new_pattern) = (
            old.get("pattern").and_then(Value::as_str),
            new.get("pattern").and_then(Value::as_str),
        );
        if old_pattern == new_pattern {
            return;
        }
        let rule = match (direction, old_pattern, new_pattern) {
            (Direction::Request, _, Some(_)) => BreakingRule::RequestPatternChanged,
            (Direction::Response, Some(_), _) => BreakingRule::ResponsePatternChanged,
            _ => return,
        };
        let show = |p: Option<&str>| p.map_or("none".to_owned(), |p| format!("`{p}`"));
        let change = format!("pattern {} -> {}", show(old_pattern), show(new_pattern));
        self.finding(&at.location, rule, change, at.defined_at.as_deref());
    }

    pub(super) fn lengths(&mut self, old: &Value, new: &Value, direction: Direction, at: &At) {
        let (rule, tighter_is_breaking) = match direction {
            Direction::Request => (BreakingRule::RequestLengthTightened, true),
            Direction::Response => (BreakingRule::ResponseLengthLoosened, false),
        };
        for (min_key, max_key) in LENGTHS {
            let lower = |s: &Value| s.get(min_key).and_then(Value::as_f64).map(Bound::inclusive);
            let upper = |s: &Value| s.get(max_key).and_then(Value::as_f64).map(Bound::inclusive);
            self.bound(
                old,
                new,
                (min_key, Side::Lower),
                lower,
                rule,
                tighter_is_breaking,
                at,
            );
            self.bound(
                old,
                new,
                (max_key, Side::Upper),
                upper,
                rule,
                tighter_is_breaking,
                at,
            );
        }
    }

    pub(super) fn ranges(&mut self, old: &Value, new: &Value, direction: Direction, at: &At) {
        let (rule, tighter_is_breaking) = match direction {
            Direction::Request => (BreakingRule::RequestRangeTightened, true),
            Direction::Response => (BreakingRule::ResponseRangeLoosened, false),
        };
        let lower = |s: &Value| range_bound(s, "minimum", "exclusiveMinimum");
        let upper = |s: &Value| range_bound(s, "maximum", "exclusiveMaximum");
        self.bound(
            old,
            new,
            ("minimum", Side::Lower),
            lower,
            rule,
            tighter_is_breaking,
            at,
        );
        self.bound(
            old,
            new,
            ("maximum", Side::Upper),
            upper,
            rule,
            tighter_is_breaking,
            at,
        );
    }

    /// One bound: reported when it moved the breaking way.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call shape for all six bounds"
    )]
    fn bound(
        &mut self,
        old: &Value,
        new: &Value,
        (keyword, side): (&str, Side),
        read: impl Fn(&Value) -> Option<Bound>,
        rule: BreakingRule,
        tighter_is_breaking: bool,
        at: &At,
    ) {
        let (old_bound, new_bound) = (read(old), read(new));
        let (from, to) = if tighter_is_breaking {
            (old_bound, new_bound)
        } else {
            (new_bound, old_bound)
        };
        if side.tighter(to, from) {
            let change = format!("{keyword} {} -> {}", show(old_bound), show(new_bound));
            self.finding(&at.location, rule, change, at.defined_at.as_deref());
        }
    }
}

/// One end of a range or length; `None` stands for unbounded.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bound {
    value: f64,
    exclusive: bool,
}

impl Bound {
    fn inclusive(value: f64) -> Self {
        Self {
            value,
            exclusive: false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Lower,
    Upper,
}

impl Side {
    /// Whether `a` lets fewer values through than `b`.
    fn tighter(self, a: Option<Bound>, b: Option<Bound>) -> bool {
        match (a, b) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(a), Some(b)) => {
                let further = match self {
                    Side::Lower => a.value > b.value,
                    Side::Upper => a.value < b.value,
                };
                further || (a.value == b.value && a.exclusive && !b.exclusive)
            }
        }
    }
}

/// `minimum` with OpenAPI 3.0's boolean `exclusiveMinimum`, or a numeric
/// `exclusiveMinimum` as later JSON Schema writes it.
fn range_bound(schema: &Value, inclusive_key: &str, exclusive_key: &str) -> Option<Bound> {
    match schema.get(exclusive_key) {
        Some(Value::Number(n)) => n.as_f64().map(|value| Bound {
            value,
            exclusive: true,
        }),
        flag => schema
            .get(inclusive_key)
            .and_then(Value::as_f64)
            .map(|value| Bound {
                value,
                exclusive: flag == Some(&Value::Bool(true)),
            }),
    }
}

fn show(bound: Option<Bound>) -> String {
    match bound {
        None => "none".into(),
        Some(Bound {
            value,
            exclusive: true,
        }) => format!("{value} (exclusive)"),
        Some(Bound { value, .. }) => value.to_string(),
    }
}

fn list<'v>(values: impl Iterator<Item = &'v Value>) -> String {
    let shown: Vec<String> = values.map(Value::to_string).collect();
    shown.join(", ")
}
