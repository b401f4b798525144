//! Spec text to Rust identifiers: every name the generated code takes from the spec
//! (component, property, enum value, operationId, tag, parameter, security scheme)
//! is made here, so that any text becomes a valid identifier and never a panic.
//!
//! The rules, in order:
//! - Words are the runs of ASCII letters and digits; everything else (punctuation,
//!   spaces, non-ASCII characters) separates words. The words are joined in the
//!   identifier's case (`UpperCamelCase` types and variants, `snake_case` fields and
//!   methods, `SHOUTY_SNAKE_CASE` statics).
//! - Text with no letter or digit gets the caller's fallback (`Empty` for an empty enum
//!   value, `Value{index}` for one of punctuation only, and similar for other names).
//! - A leading digit is prefixed: `V` for types and variants (`2fa` -> `V2fa`), `_` for
//!   fields, methods and statics (`2fa` -> `_2fa`).
//! - Keywords become raw identifiers (`type` -> `r#type`), except those that cannot
//!   be raw, which get a `_` suffix (`self` -> `self_`, `Self` -> `Self_`).
//! - Names that meet in one namespace after conversion (`fooBar` and `foo_bar`) are
//!   told apart by a [`Namer`]: the first keeps the name, later ones get `2`, `3`, ...
//!   in spec order, so the result is stable for a given spec.
//!
//! The wire name always stays the spec's text, through `rename` attributes.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use openapiv3::OpenAPI;
use proc_macro2::{Ident, Span};

use crate::error::{Result, SpecError};

/// The case of an identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Types and enum variants: `UpperCamelCase`.
    Type,
    /// Fields, arguments and methods: `snake_case`.
    Value,
    /// Statics: `SHOUTY_SNAKE_CASE`.
    Static,
}

/// Keywords that are written as raw identifiers (`r#type`).
const RAW_KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
    "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn",
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield", "try", "gen",
];

/// Keywords that cannot be raw identifiers: they get a `_` suffix.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate"];

/// `text` in `case` by the rules above, or `fallback` when `text` has no ASCII letter
/// or digit. The fallback must itself be a word in `case` (e.g. `Empty`, `field`).
pub fn convert(text: &str, case: Case, fallback: &str) -> String {
    let words: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let mut name = match case {
        Case::Type => words.to_upper_camel_case(),
        Case::Value => words.to_snake_case(),
        Case::Static => words.to_shouty_snake_case(),
    };
    if name.is_empty() {
        name = fallback.to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        let prefix = if case == Case::Type { "V" } else { "_" };
        name.insert_str(0, prefix);
    }
    if NOT_RAW.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// The identifier for a name made by [`convert`] (and a [`Namer`]): raw for keywords.
/// Anything else than such a name is refused at `location` rather than panicking.
pub fn ident(name: &str, location: &str) -> Result<Ident> {
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "_"
        && !NOT_RAW.contains(&name);
    if !valid {
        return Err(SpecError::new(
            location,
            format!("generator bug: `{name}` is not a Rust identifier"),
        ));
    }
    Ok(if RAW_KEYWORDS.contains(&name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    })
}

/// The names taken in one namespace (a module's types, a struct's fields, an enum's
/// variants); hands out each name once.
#[derive(Debug, Default, Clone)]
pub struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    /// A namespace where `reserved` are already taken (names the generated code itself
    /// defines or uses there).
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Self {
            taken: reserved.iter().map(ToString::to_string).collect(),
        }
    }

    /// `name` when it is free, else the first of `name2`, `name3`, ... that is; the
    /// result is taken from then on.
    pub fn claim(&mut self, name: String) -> String {
        if self.taken.insert(name.clone()) {
            return name;
        }
        let mut n = 2u64;
        loop {
            let candidate = format!("{name}{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }

    /// [`convert`] then [`Namer::claim`].
    pub fn name(&mut self, text: &str, case: Case, fallback: &str) -> String {
        self.claim(convert(text, case, fallback))
    }
}

/// The fallback for the `index`th name of a list when its text has no ASCII letter or
/// digit: `Empty` for empty text, `Value{index}` otherwise (in the name's case).
pub fn fallback(text: &str, index: usize, case: Case) -> String {
    match (text.is_empty(), case) {
        (true, Case::Type) => "Empty".to_string(),
        (true, Case::Value) => "empty".to_string(),
        (true, Case::Static) => "EMPTY".to_string(),
        (false, Case::Type) => format!("Value{index}"),
        (false, Case::Value) => format!("value_{index}"),
        (false, Case::Static) => format!("VALUE_{index}"),
    }
}

/// The variant names of an enum's values, in order, collision-free.
pub fn variant_names<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut namer = Namer::default();
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| namer.name(value, Case::Type, &fallback(value, index, Case::Type)))
        .collect()
}

/// Type names the generated module defines or uses unqualified: a spec name that
/// converts to one of them is numbered instead of shadowing it.
const RESERVED_TYPES: &[&str] = &[
    "SpecSchema",
    "SpecDocument",
    "ApiTags",
    "OperationMeta",
    "DeprecationMeta",
    "RateLimitKey",
    "RateLimitMeta",
    "ApiAdapters",
    "ImageBytes",
    "Json",
    "SpecJson",
    "Upload",
    "Option",
    "Vec",
    "String",
    "Box",
    "Result",
    "Send",
    "Sync",
    "Self",
    "T",
    "I",
];

/// Statics (and consts) the generated module defines.
const RESERVED_STATICS: &[&str] = &[
    "MIDDLEWARE_HEADERS",
    "API_VERSIONS",
    "OPERATIONS",
    "SPEC_JSON",
    "SPEC_DOCUMENT",
];

/// The Rust names of one tag: its `ApiTags` variant, trait and adapter.
#[derive(Debug, Clone)]
pub struct TagNames {
    pub variant: Ident,
    pub api: Ident,
    pub adapter: Ident,
}

/// Which late-named item a name is for, so asking twice gives the same name.
type LateKey = (&'static str, String, String);

/// The names of every item the generated module defines from the spec. Components,
/// security schemes and tags are named first, in spec order (they keep their names
/// whatever else the spec holds); the rest (inline enums, response enums, pattern
/// statics, methods) are named as the generator reaches them.
pub struct SpecNames {
    schemas: HashMap<String, Ident>,
    schemes: HashMap<String, Ident>,
    tags: HashMap<String, TagNames>,
    late: RefCell<Late>,
}

struct Late {
    types: Namer,
    statics: Namer,
    handlers: Namer,
    adapters: Namer,
    given: HashMap<LateKey, Ident>,
}

impl SpecNames {
    /// Names the spec's components, security schemes and tags; refuses a tag declared twice.
    pub fn new(doc: &OpenAPI) -> Result<Self> {
        let mut types = Namer::with_reserved(RESERVED_TYPES);
        let mut schemas = HashMap::new();
        let mut schemes = HashMap::new();
        if let Some(components) = &doc.components {
            for (index, name) in components.schemas.keys().enumerate() {
                let location = format!("components.schemas.{name}");
                let rust = types.name(name, Case::Type, &fallback(name, index, Case::Type));
                schemas.insert(name.clone(), ident(&rust, &location)?);
            }
            for (index, name) in components.security_schemes.keys().enumerate() {
                let location = format!("components.securitySchemes.{name}");
                let rust = types.name(name, Case::Type, &fallback(name, index, Case::Type));
                schemes.insert(name.clone(), ident(&rust, &location)?);
            }
        }
        let mut variants = Namer::default();
        let mut tags = HashMap::new();
        for (index, tag) in doc.tags.iter().enumerate() {
            let location = format!("tags[{index}]");
            if tags.contains_key(&tag.name) {
                return Err(SpecError::new(
                    location,
                    format!("tag `{}` is declared twice", tag.name),
                ));
            }
            let variant = variants.name(
                &tag.name,
                Case::Type,
                &fallback(&tag.name, index, Case::Type),
            );
            let api = types.claim(format!("{variant}Api"));
            let adapter = types.claim(format!("{api}Adapter"));
            let names = TagNames {
                variant: ident(&variant, &location)?,
                api: ident(&api, &location)?,
                adapter: ident(&adapter, &location)?,
            };
            tags.insert(tag.name.clone(), names);
        }
        Ok(Self {
            schemas,
            schemes,
            tags,
            late: RefCell::new(Late {
                types,
                statics: Namer::with_reserved(RESERVED_STATICS),
                handlers: Namer::default(),
                adapters: Namer::default(),
                given: HashMap::new(),
            }),
        })
    }

    /// The type of component schema `name`, or an error at `location` when there is none.
    pub fn schema(&self, name: &str, location: &str) -> Result<Ident> {
        self.schemas.get(name).cloned().ok_or_else(|| {
            SpecError::new(
                location,
                format!("`#/components/schemas/{name}` points nowhere"),
            )
        })
    }

    /// The type of security scheme `name`.
    pub fn scheme(&self, name: &str, location: &str) -> Result<Ident> {
        self.schemes.get(name).cloned().ok_or_else(|| {
            SpecError::new(
                location,
                format!("no security scheme `{name}` in components.securitySchemes"),
            )
        })
    }

    /// The names of declared tag `name`.
    pub fn tag(&self, name: &str, location: &str) -> Result<&TagNames> {
        self.tags.get(name).ok_or_else(|| {
            SpecError::new(
                location,
                format!("tag `{name}` is not declared in the top-level `tags`"),
            )
        })
    }

    /// A type named from `base` (already in `Case::Type`) for the item `key` names,
    /// e.g. `("response", handler, "")`: the same key always gets the same type.
    pub fn late_type(&self, key: LateKey, base: &str, location: &str) -> Result<Ident> {
        self.late(key, base, location, |late| &mut late.types)
    }

    /// A static named from `base` (already in `Case::Static`) for `key`.
    pub fn late_static(&self, key: LateKey, base: &str, location: &str) -> Result<Ident> {
        self.late(key, base, location, |late| &mut late.statics)
    }

    /// The trait method serving handler `handler` (an `x-handler` or operationId).
    pub fn handler(&self, handler: &str, location: &str) -> Result<Ident> {
        let base = convert(handler, Case::Value, "operation");
        let key = ("handler", handler.to_string(), String::new());
        self.late(key, &base, location, |late| &mut late.handlers)
    }

    /// The adapter method of operation `operation_id`.
    pub fn adapter_method(&self, operation_id: &str, location: &str) -> Result<Ident> {
        let base = convert(operation_id, Case::Value, "operation");
        let key = ("adapter", operation_id.to_string(), String::new());
        self.late(key, &base, location, |late| &mut late.adapters)
    }

    fn late(
        &self,
        key: LateKey,
        base: &str,
        location: &str,
        namer: impl FnOnce(&mut Late) -> &mut Namer,
    ) -> Result<Ident> {
        let mut late = self.late.borrow_mut();
        if let Some(given) = late.given.get(&key) {
            return Ok(given.clone());
        }
        let name = namer(&mut late).claim(base.to_string());
        let given = ident(&name, location)?;
        late.given.insert(key, given.clone());
        Ok(given)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_name(text: &str) -> String {
        convert(text, Case::Type, "Fallback")
    }

    fn value_name(text: &str) -> String {
        convert(text, Case::Value, "fallback")
    }

    #[test]
    fn ordinary_names_keep_their_usual_case_conversion() {
        assert_eq!(type_name("User"), "User");
        assert_eq!(type_name("user_summary"), "UserSummary");
        assert_eq!(type_name("createUser"), "CreateUser");
        assert_eq!(value_name("createUser"), "create_user");
        assert_eq!(value_name("X-Rate-Limit"), "x_rate_limit");
        assert_eq!(convert("page_size", Case::Static, "F"), "PAGE_SIZE");
    }

    #[test]
    fn punctuation_and_spaces_separate_words() {
        assert_eq!(type_name("io.k8s.api.Pod"), "IoK8sApiPod");
        assert_eq!(type_name("pet-store item"), "PetStoreItem");
        assert_eq!(value_name("$filter"), "filter");
        assert_eq!(value_name("a[b]"), "a_b");
        assert_eq!(value_name("+1"), "_1");
        assert_eq!(type_name("Größe"), "GrE");
    }

    #[test]
    fn a_leading_digit_is_prefixed() {
        assert_eq!(type_name("2fa"), "V2fa");
        assert_eq!(type_name("256x256"), "V256x256");
        assert_eq!(value_name("2fa"), "_2fa");
        assert_eq!(convert("1st", Case::Static, "F"), "_1ST");
    }

    #[test]
    fn text_without_letters_or_digits_gets_the_fallback() {
        assert_eq!(type_name(""), "Fallback");
        assert_eq!(type_name("-"), "Fallback");
        assert_eq!(value_name("+ - *"), "fallback");
        assert_eq!(type_name("日本"), "Fallback");
        assert_eq!(fallback("", 3, Case::Type), "Empty");
        assert_eq!(fallback("+", 3, Case::Type), "Value3");
        assert_eq!(fallback("+", 3, Case::Value), "value_3");
    }

    #[test]
    fn keywords_become_raw_or_get_a_suffix() {
        assert_eq!(value_name("self"), "self_");
        assert_eq!(value_name("super"), "super_");
        assert_eq!(value_name("crate"), "crate_");
        assert_eq!(type_name("self"), "Self_");
        assert_eq!(
            ident(&value_name("type"), "x").unwrap().to_string(),
            "r#type"
        );
        assert_eq!(ident(&value_name("gen"), "x").unwrap().to_string(), "r#gen");
        assert_eq!(
            ident(&value_name("self"), "x").unwrap().to_string(),
            "self_"
        );
    }

    #[test]
    fn what_is_not_an_identifier_is_refused_not_a_panic() {
        for bad in ["", "_", "1a", "a-b", "self", "r#type", "é"] {
            let error = ident(bad, "components.schemas.X").expect_err(bad);
            assert_eq!(error.location, "components.schemas.X");
        }
    }

    #[test]
    fn names_that_meet_after_conversion_are_numbered_in_order() {
        let mut namer = Namer::with_reserved(&["Option"]);
        assert_eq!(namer.name("fooBar", Case::Type, "F"), "FooBar");
        assert_eq!(namer.name("foo_bar", Case::Type, "F"), "FooBar2");
        assert_eq!(namer.name("foo-bar", Case::Type, "F"), "FooBar3");
        assert_eq!(namer.name("FooBar2", Case::Type, "F"), "FooBar22");
        assert_eq!(namer.name("option", Case::Type, "F"), "Option2");
    }

    #[test]
    fn enum_values_get_distinct_variants() {
        let values = ["2fa", "256x256", "-", "", "+", "a-b", "a_b", "A B"];
        assert_eq!(
            variant_names(values),
            [
                "V2fa", "V256x256", "Value2", "Empty", "Value4", "AB", "AB2", "AB3"
            ]
        );
    }

    #[test]
    fn every_converted_name_is_an_identifier() {
        let texts = [
            "", " ", "-", "+1", "2fa", "self", "Self", "type", "a b", "ÿ", "_", "__",
        ];
        for text in texts {
            for case in [Case::Type, Case::Value, Case::Static] {
                let fallback = match case {
                    Case::Type => "Empty",
                    Case::Value => "empty",
                    Case::Static => "EMPTY",
                };
                let name = convert(text, case, fallback);
                assert!(ident(&name, "x").is_ok(), "{text:?} -> {name:?}");
            }
        }
    }
}
