//! The server code generator: reads the hand-written OpenAPI 3.0.3 spec and writes the
//! Rust that the service's `build.rs` includes: models, one trait per tag, one response
//! enum per operation, the poem-openapi adapters that route to the traits, and a table
//! of the spec's operations.
//!
//! Anything the generator cannot express faithfully is refused with a [`SpecError`]
//! naming its location in the spec; nothing is dropped silently.

mod defaults;
mod error;
mod extensions;
mod media;
mod models;
mod names;
mod operations;
mod security;

use openapiv3::{Header, OpenAPI, Parameter, ReferenceOr, RequestBody, Response};
use proc_macro2::TokenStream;
use quote::quote;

pub use defaults::DEFAULT_TAG;
use error::Result;
pub use error::SpecError;
pub use operations::status_variant;

/// String formats accepted as plain `String`s (their value is checked by the spec's
/// JSON Schema on request bodies).
pub const KNOWN_STRING_FORMATS: &[&str] = &["email", "uri", "password", "hostname", "ipv4", "ipv6"];

/// Where the generated code finds the hand-written pieces it calls.
#[derive(Debug, Clone)]
pub struct Options {
    /// Path of the runtime crate (or a module re-exporting it): `SpecJson`, `SpecForm`
    /// (with its refusals `AsProblem` and `AsOAuth`), `Json`, `Upload`, `ImageBytes`,
    /// `ParamPattern`, `rfc3339::serialize`, `SpecSchema` and `SpecDocument`,
    /// `authenticate` and `Credential`, `Failure`, `retry_after` and
    /// `UndocumentedProblem`, `poem`, for text and byte request bodies, `BodyLimit` and
    /// `body_too_large`, and, where a status offers several media types, `Accept` and
    /// `not_acceptable`.
    pub runtime: String,
    /// The type every security scheme hands to the operations it secures; it
    /// implements the runtime's `Authenticate`, which checks the credential (and the
    /// scopes the operation requires).
    pub principal: String,
    /// The component schema of the problem+json documents handlers answer failures with:
    /// each operation documenting it for a 500 gets a `from_problem`, which needs the
    /// schema's `status` field and an `UndocumentedProblem` implementation. None: no
    /// `from_problem`.
    pub problem_schema: Option<String>,
    /// Response headers set by middleware on every response that carries them (request
    /// id, rate limits, versions, deprecation): documented in the spec, but not fields
    /// a handler fills.
    pub middleware_headers: Vec<String>,
}

/// The headers the service's middleware owns. `Retry-After` is not one of them: the
/// middleware sets it on the rate limiter's refusals, and a generated `from_problem` on
/// a handler's problems, from the failure's wait.
pub const MIDDLEWARE_HEADERS: &[&str] = &[
    "X-Request-Id",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-API-Version",
    "Deprecation",
    "Sunset",
    "Link",
];

impl Default for Options {
    fn default() -> Self {
        Self {
            runtime: "apiary_runtime".to_string(),
            principal: "apiary_runtime::Unverified".to_string(),
            problem_schema: None,
            middleware_headers: MIDDLEWARE_HEADERS.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A parsed spec plus the options, shared by the generator's parts.
pub struct Spec {
    pub doc: OpenAPI,
    pub runtime: syn::Path,
    pub principal: syn::Type,
    pub problem_schema: Option<String>,
    pub middleware_headers: Vec<String>,
    /// The Rust names of what the spec names.
    pub names: names::SpecNames,
    /// Mistakes in the spec the generator read past (see [`generate_with_warnings`]).
    pub warnings: std::cell::RefCell<Vec<SpecError>>,
}

/// Parses a spec written in JSON (a document whose first character, after whitespace
/// and a byte order mark, is `{`) or YAML (anything else). JSON is read by a JSON
/// parser: YAML's reader refuses some valid JSON, such as `\ud83d\ude00` surrogate pairs.
pub fn parse(spec_text: &str) -> Result<OpenAPI> {
    let doc: OpenAPI = from_text(spec_text, "not a valid OpenAPI 3.0 document")?;
    if !doc.openapi.starts_with("3.0.") {
        return Err(SpecError::new(
            "openapi",
            format!(
                "version {} is not supported; write OpenAPI 3.0.x",
                doc.openapi
            ),
        ));
    }
    Ok(doc)
}

/// Whether a spec's text is a JSON document rather than YAML.
fn is_json(spec_text: &str) -> bool {
    spec_text
        .trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace())
        .starts_with('{')
}

/// Reads a spec's text as JSON or YAML (see [`parse`]); `what` opens the error message.
fn from_text<T: serde::de::DeserializeOwned>(spec_text: &str, what: &str) -> Result<T> {
    if is_json(spec_text) {
        let text = spec_text.trim_start_matches('\u{feff}');
        serde_json::from_str(text).map_err(|e| {
            SpecError::new(
                format!("line {} column {}", e.line(), e.column()),
                format!("{what}: {e}"),
            )
        })
    } else {
        serde_yaml_ng::from_str(spec_text)
            .map_err(|e| SpecError::new(yaml_location(&e), format!("{what}: {e}")))
    }
}

fn yaml_location(e: &serde_yaml_ng::Error) -> String {
    match e.location() {
        Some(at) => format!("line {} column {}", at.line(), at.column()),
        None => "(document)".to_string(),
    }
}

/// The spec as JSON (what `/openapi.json` serves and what validators compile).
pub fn to_json(spec_text: &str) -> std::result::Result<String, SpecError> {
    let value: serde_json::Value = from_text(spec_text, "not valid JSON or YAML")?;
    serde_json::to_string_pretty(&value).map_err(|e| SpecError::new("(document)", e.to_string()))
}

/// The spec as compact JSON, for the generated code to carry.
fn spec_json(spec_text: &str) -> Result<String> {
    let value: serde_json::Value = from_text(spec_text, "not valid JSON or YAML")?;
    serde_json::to_string(&value).map_err(|e| SpecError::new("(document)", e.to_string()))
}

/// Generates the server code for a spec, formatted.
pub fn generate(spec_yaml: &str, options: &Options) -> Result<String> {
    generate_with_warnings(spec_yaml, options).map(|(code, _)| code)
}

/// [`generate`], plus the spec's mistakes that were read past rather than refused (a
/// `required` property that is not defined, keywords that do not fit the schema's
/// `type`, an array without `items`), each with its location, in the order met.
pub fn generate_with_warnings(
    spec_yaml: &str,
    options: &Options,
) -> Result<(String, Vec<SpecError>)> {
    let (tokens, warnings) = generate_tokens(spec_yaml, options)?;
    let file = syn::parse2::<syn::File>(tokens)
        .map_err(|e| SpecError::new("(generated code)", format!("generator bug: {e}")))?;
    Ok((prettyplease::unparse(&file), warnings))
}

fn generate_tokens(spec_yaml: &str, options: &Options) -> Result<(TokenStream, Vec<SpecError>)> {
    let mut doc = parse(spec_yaml)?;
    defaults::fill_in(&mut doc);
    let runtime = syn::parse_str::<syn::Path>(&options.runtime)
        .map_err(|e| SpecError::new("(options.runtime)", e.to_string()))?;
    let principal = syn::parse_str::<syn::Type>(&options.principal)
        .map_err(|e| SpecError::new("(options.principal)", e.to_string()))?;
    let names = names::SpecNames::new(&doc)?;
    let spec = Spec {
        names,
        doc,
        runtime,
        principal,
        problem_schema: options.problem_schema.clone(),
        middleware_headers: options.middleware_headers.clone(),
        warnings: std::cell::RefCell::default(),
    };
    let ops = operations::read_operations(&spec)?;
    let models = models::generate_models(&spec)?;
    let tags = tags_enum(&spec)?;
    let operations = operations::generate_operations(&spec, &ops)?;
    let table = operation_table(&ops, &spec.middleware_headers);
    let runtime = &spec.runtime;
    let spec_json = spec_json(spec_yaml)?;
    let tokens = quote! {
        #[allow(unused_imports)]
        use #runtime::{AsOAuth, AsProblem, ImageBytes, Json, SpecDocument, SpecForm, SpecJson, SpecSchema, Upload, rfc3339};

        /// The spec this code was generated from, as JSON.
        pub const SPEC_JSON: &str = #spec_json;

        /// The spec whose schemas validate the request bodies.
        pub static SPEC_DOCUMENT: SpecDocument = SpecDocument::new(SPEC_JSON);

        #models
        #tags
        #operations
        #table
    };
    Ok((tokens, spec.warnings.take()))
}

impl Spec {
    /// Records a mistake in the spec that the generator reads past.
    pub fn warn(&self, location: impl Into<String>, message: impl Into<String>) {
        self.warnings
            .borrow_mut()
            .push(SpecError::new(location, message));
    }

    fn component<'a, T>(
        &'a self,
        item: &'a ReferenceOr<T>,
        prefix: &str,
        pick: impl Fn(&'a openapiv3::Components) -> &'a indexmap::IndexMap<String, ReferenceOr<T>>,
        location: &str,
    ) -> Result<&'a T> {
        match item {
            ReferenceOr::Item(item) => Ok(item),
            ReferenceOr::Reference { reference } => {
                let name = reference.strip_prefix(prefix).ok_or_else(|| {
                    SpecError::new(
                        location,
                        format!("`$ref: {reference}` must point into {prefix}"),
                    )
                })?;
                let components = self.doc.components.as_ref().ok_or_else(|| {
                    SpecError::new(
                        location,
                        format!("`{reference}` points nowhere: no components"),
                    )
                })?;
                match pick(components).get(name) {
                    Some(ReferenceOr::Item(item)) => Ok(item),
                    Some(ReferenceOr::Reference { .. }) => Err(SpecError::new(
                        location,
                        format!("`{reference}` points to another `$ref`; chains are not supported"),
                    )),
                    None => Err(SpecError::new(
                        location,
                        format!("`{reference}` points nowhere"),
                    )),
                }
            }
        }
    }

    pub fn resolve_parameter<'a>(
        &'a self,
        item: &'a ReferenceOr<Parameter>,
        location: &str,
    ) -> Result<&'a Parameter> {
        self.component(
            item,
            "#/components/parameters/",
            |c| &c.parameters,
            location,
        )
    }

    pub fn resolve_request_body<'a>(
        &'a self,
        item: &'a ReferenceOr<RequestBody>,
        location: &str,
    ) -> Result<&'a RequestBody> {
        self.component(
            item,
            "#/components/requestBodies/",
            |c| &c.request_bodies,
            location,
        )
    }

    pub fn resolve_response<'a>(
        &'a self,
        item: &'a ReferenceOr<Response>,
        location: &str,
    ) -> Result<&'a Response> {
        self.component(item, "#/components/responses/", |c| &c.responses, location)
    }

    pub fn resolve_header<'a>(
        &'a self,
        item: &'a ReferenceOr<Header>,
        location: &str,
    ) -> Result<&'a Header> {
        self.component(item, "#/components/headers/", |c| &c.headers, location)
    }
}

fn tags_enum(spec: &Spec) -> Result<TokenStream> {
    let mut variants = Vec::new();
    for (index, tag) in spec.doc.tags.iter().enumerate() {
        let ident = &spec
            .names
            .tag(&tag.name, &format!("tags[{index}]"))?
            .variant;
        let name = &tag.name;
        let doc = doc_attr(tag.description.as_deref());
        variants.push(quote! {
            #doc
            #[oai(rename = #name)]
            #ident,
        });
    }
    Ok(quote! {
        /// The spec's tags; each names one trait.
        #[derive(poem_openapi::Tags)]
        pub enum ApiTags { #(#variants)* }
    })
}

fn operation_table(ops: &[operations::Op], middleware_headers: &[String]) -> TokenStream {
    let mut versions: Vec<&str> = ops.iter().filter_map(|op| op.version.as_deref()).collect();
    versions.sort_by_key(|v| v[1..].parse::<u32>().unwrap_or(u32::MAX));
    versions.dedup();
    let rows = ops.iter().map(|op| {
        let id = &op.id;
        let method = op.method.to_uppercase();
        let path = &op.path;
        let tag = &op.tag;
        let secured = op.security.is_some();
        let deprecated = op.deprecated;
        let statuses = op.responses.iter().filter_map(|r| r.status.code());
        let rate_limit = op
            .rate_limit
            .as_ref()
            .map_or_else(|| quote! { None }, extensions::RateLimit::tokens);
        let handler = &op.handler;
        let max_body = match op.max_body_bytes {
            Some(bytes) => quote! { Some(#bytes) },
            None => quote! { None },
        };
        let version = match &op.version {
            Some(v) => quote! { Some(#v) },
            None => quote! { None },
        };
        let deprecation = match &op.deprecation {
            None => quote! { None },
            Some(d) => {
                let deprecation = &d.deprecation;
                let sunset = &d.sunset;
                let link = match d.successor.as_ref().and_then(|id| ops.iter().find(|o| &o.id == id)) {
                    Some(successor) => {
                        let link = format!("<{}>; rel=\"successor-version\"", successor.path);
                        quote! { Some(#link) }
                    }
                    None => quote! { None },
                };
                quote! { Some(DeprecationMeta { deprecation: #deprecation, sunset: #sunset, link: #link }) }
            }
        };
        quote! {
            OperationMeta {
                operation_id: #id,
                method: #method,
                path: #path,
                tag: #tag,
                secured: #secured,
                deprecated: #deprecated,
                statuses: &[#(#statuses),*],
                rate_limit: #rate_limit,
                max_body_bytes: #max_body,
                handler: #handler,
                version: #version,
                deprecation: #deprecation,
            },
        }
    });
    quote! {
        /// What the spec says about one operation, for middleware and tests.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct OperationMeta {
            pub operation_id: &'static str,
            pub method: &'static str,
            /// The path as the spec writes it, e.g. `/v1/products/{product_id}`.
            pub path: &'static str,
            pub tag: &'static str,
            pub secured: bool,
            pub deprecated: bool,
            /// Every documented status, in spec order.
            pub statuses: &'static [u16],
            /// The operation's `x-rate-limit`, if it has one.
            pub rate_limit: Option<RateLimitMeta>,
            /// `x-max-body-bytes`: this operation's body limit, over the service-wide one.
            pub max_body_bytes: Option<u64>,
            /// The trait method serving it (shared by identical v1 and v2 operations).
            pub handler: &'static str,
            /// `v1` for a path under `/v1/`.
            pub version: Option<&'static str>,
            /// Headers a deprecated operation answers with.
            pub deprecation: Option<DeprecationMeta>,
        }

        /// RFC 9745 / RFC 8594 headers of a deprecated operation, ready to send.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct DeprecationMeta {
            /// `Deprecation` value, e.g. `@1688169599`.
            pub deprecation: &'static str,
            /// `Sunset` value, an HTTP-date.
            pub sunset: &'static str,
            /// `Link` to the successor, e.g. `</v2/products>; rel="successor-version"`.
            pub link: Option<&'static str>,
        }

        /// What an operation's budget is counted by.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum RateLimitKey {
            /// The client's IP address.
            Ip,
            /// The bearer token's subject, or the IP address without a valid token.
            User,
        }

        /// An `x-rate-limit` from the spec: `requests` per `per_secs` seconds.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct RateLimitMeta {
            pub requests: u32,
            pub per_secs: u64,
            pub key: RateLimitKey,
        }

        /// Response headers the middleware owns (see the codegen's `MIDDLEWARE_HEADERS`).
        pub const MIDDLEWARE_HEADERS: &[&str] = &[#(#middleware_headers),*];

        /// The API versions the spec's paths use (`/v1/...`), oldest first.
        pub const API_VERSIONS: &[&str] = &[#(#versions),*];

        /// Every operation of the spec, in spec order.
        pub const OPERATIONS: &[OperationMeta] = &[#(#rows)*];
    }
}

/// `#[doc = "..."]` lines for an optional text.
pub(crate) fn doc_attr(text: Option<&str>) -> TokenStream {
    let Some(text) = text else {
        return TokenStream::new();
    };
    let lines = text.trim_end().lines().map(|line| {
        let line = format!(" {line}");
        quote! { #[doc = #line] }
    });
    quote! { #(#lines)* }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JSON spec whose title holds a surrogate-pair escape (an emoji), valid JSON that
    /// YAML readers refuse.
    const JSON_SPEC: &str = "\u{feff}  {\"openapi\": \"3.0.3\", \
        \"info\": {\"title\": \"pets \\ud83d\\ude00\", \"version\": \"1\"}, \"paths\": {}}";

    #[test]
    fn a_json_spec_is_read_as_json() {
        let doc = parse(JSON_SPEC).expect("parses");
        assert_eq!(doc.info.title, "pets \u{1f600}");
        let json = to_json(JSON_SPEC).expect("converts");
        assert!(json.contains("pets \u{1f600}"), "{json}");
    }

    #[test]
    fn a_yaml_spec_is_read_as_yaml() {
        let doc =
            parse("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n").expect("parses");
        assert_eq!(doc.info.title, "t");
    }

    #[test]
    fn broken_json_is_refused_with_its_line_and_column() {
        let error = parse("{\"openapi\": \"3.0.3\",\n  \"info\": }").expect_err("refused");
        assert_eq!(error.location, "line 2 column 11", "{error}");
    }
}
