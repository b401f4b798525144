//! Paths and operations to Rust: one trait per tag with one method per operation, one
//! response enum per operation (a variant per documented status, nothing else), and a
//! poem-openapi adapter per tag that extracts the typed inputs and calls the trait.
//!
//! [`read`] reads the spec into the model below (checking it, and naming every generated
//! type), and [`emit`] writes the Rust items from that model.

mod emit;
mod read;

use proc_macro2::TokenStream;

pub use emit::generate_operations;
pub use read::read_operations;
pub use read::responses::status_variant;

/// One operation, read from the spec and checked.
pub struct Op {
    pub id: String,
    /// The trait method serving it: `x-handler`, or the operationId. Operations that
    /// name the same handler (v1 and v2 of an unchanged operation) share one method.
    pub handler: String,
    /// The trait method's name.
    pub handler_ident: proc_macro2::Ident,
    /// The adapter method's name.
    pub adapter_ident: proc_macro2::Ident,
    /// The response enum's name.
    pub response_ident: proc_macro2::Ident,
    pub method: String,
    pub path: String,
    pub tag: String,
    pub summary: String,
    pub description: Option<String>,
    pub deprecated: bool,
    pub security: Option<crate::security::Security>,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub responses: Vec<Variant>,
    pub rate_limit: Option<crate::extensions::RateLimit>,
    /// `x-max-body-bytes`: the body limit of an upload operation.
    pub max_body_bytes: Option<u64>,
    pub deprecation: Option<crate::extensions::Deprecation>,
    /// `v1` for `/v1/...`: the API version of a versioned path.
    pub version: Option<String>,
    /// Inline enums the operation's parameters need.
    pub extra: Vec<TokenStream>,
}

pub struct Param {
    pub name: String,
    /// The argument's name in the trait method and the adapter.
    pub ident: proc_macro2::Ident,
    pub location: ParamIn,
    pub ty: TokenStream,
    pub required: bool,
    pub default: Option<TokenStream>,
    pub validators: Vec<Validator>,
    pub description: Option<String>,
    /// The item type of a `simple` array in the path or a header (`a,b,c`), read by the
    /// generated comma-separated extractor; `ty` is then `Vec<item>`.
    pub simple_items: Option<TokenStream>,
    /// Set for a parameter poem-openapi's extractors cannot read (an object, a union,
    /// a style other than `form` in the query or `simple` in the path, `content`): the
    /// runtime's `SpecParam` reads it from the raw request instead.
    pub raw: Option<RawParam>,
}

/// A check the generated extractor makes on a parameter's value, from its schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Validator {
    MaxItems(usize),
    MinItems(usize),
    UniqueItems,
    MaxLength(usize),
    MinLength(usize),
    /// `maximum`, as the spec writes the number, and whether it is exclusive.
    Maximum {
        value: String,
        exclusive: bool,
    },
    /// `minimum`, as the spec writes the number, and whether it is exclusive.
    Minimum {
        value: String,
        exclusive: bool,
    },
    /// `pattern`, checked by the generated `ParamPattern` static of this name.
    Pattern(proc_macro2::Ident),
}

/// How the runtime reads a parameter: its style (a `ParamStyle` variant), whether it is
/// exploded, and the JSON pointer to its schema in the spec, which checks it.
pub struct RawParam {
    pub style: &'static str,
    pub explode: bool,
    pub pointer: String,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamIn {
    Path,
    Query,
    Header,
    Cookie,
}

pub struct Body {
    /// False for `required: false`: the handler gets an `Option`, `None` when the
    /// request carries no body.
    pub required: bool,
    pub kind: BodyKind,
}

pub enum BodyKind {
    /// JSON checked against the spec schema at `#/components/schemas/<name>`.
    Json(proc_macro2::Ident),
    /// JSON of an inline schema: the handler's type, and the generated wrapper that
    /// binds it to the schema's place in the spec, where it is checked.
    InlineJson {
        ty: TokenStream,
        wrapper: proc_macro2::Ident,
        pointer: String,
    },
    /// `application/x-www-form-urlencoded` into a component or an inline object `ty`,
    /// read as the media type at `media` in the spec says (its `schema` and `encoding`),
    /// which the generated type `schema` binds, and refused as the operation's 400 says
    /// (see [`Op::form_refusal`]).
    Form {
        ty: TokenStream,
        schema: proc_macro2::Ident,
        media: String,
    },
    /// A file upload: `multipart/form-data` with one binary `file` field, or the raw
    /// bytes as `application/octet-stream`.
    Upload,
    /// Any other `multipart/form-data` object: the generated struct `ty` reads its
    /// parts; `items` are that struct and the types its fields need, emitted once per
    /// struct (a component's struct may serve several operations).
    Multipart {
        ty: proc_macro2::Ident,
        items: Vec<TokenStream>,
    },
    /// A JSON body (`Json` or `InlineJson`) of another JSON media type than
    /// `application/json`: read as JSON by a generated type that accepts that type.
    OtherJson {
        media: proc_macro2::Ident,
        essence: String,
        json: Box<BodyKind>,
    },
    /// Text taken as it comes (`text/plain`, XML, YAML): a generated type reads it.
    Text {
        raw: proc_macro2::Ident,
        essence: String,
    },
    /// Bytes taken as they come (`application/octet-stream`, `*/*`, any other type),
    /// with their media type: a generated type reads them.
    Bytes {
        raw: proc_macro2::Ident,
        essence: String,
    },
    /// Several media types: the handler gets the `content` enum, a variant per media
    /// type, read by the `payload` enum that picks one by `Content-Type` (415 for any
    /// other).
    Several {
        content: proc_macro2::Ident,
        payload: proc_macro2::Ident,
        variants: Vec<(proc_macro2::Ident, String, BodyKind)>,
    },
}

/// Whether the handler chooses among several media types for a status: it then gets the
/// request's `Accept`, and an answer of a type `Accept` excludes is refused with a 406.
pub fn negotiates(responses: &[Variant]) -> bool {
    responses
        .iter()
        .any(|r| r.payload.as_ref().is_some_and(|p| !p.variants.is_empty()))
}

/// Which statuses a response variant answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exactly this status.
    Code(u16),
    /// `4XX`: any status of this hundred (the digit), chosen by the handler.
    Range(u16),
    /// `default`: any status the handler chooses.
    Default,
}

impl Status {
    /// The status, when it is one exact code.
    pub fn code(self) -> Option<u16> {
        match self {
            Status::Code(code) => Some(code),
            Status::Range(_) | Status::Default => None,
        }
    }
}

pub struct Variant {
    pub status: Status,
    pub ident: proc_macro2::Ident,
    pub description: String,
    pub payload: Option<Payload>,
    pub headers: Vec<ResponseHeader>,
    /// The standard error format marked with `x-error-format` on the response, or else on
    /// the operation (e.g. `oauth2`); None for problem+json.
    pub error_format: Option<String>,
}

/// The one standard error format the generated code knows: RFC 6749 section 5.2.
pub const OAUTH2_ERROR_FORMAT: &str = "oauth2";

const ERROR_FORMAT: &str = "x-error-format";

pub struct Payload {
    pub content_type: String,
    /// A media range (`*/*`, `text/*`) answered by a generated type whose value names
    /// the exact media type: the range and that type's name.
    pub range: Option<(String, proc_macro2::Ident)>,
    /// Several media types on one status: the variants of the generated content enum
    /// (`ty`), one per media type, each with its own payload.
    pub variants: Vec<(proc_macro2::Ident, Payload)>,
    /// The payload type as written in the variant, e.g. `Json<User>`.
    pub ty: TokenStream,
    /// The schema name when the body is a `$ref` to a component.
    pub schema: Option<String>,
}

pub struct ResponseHeader {
    pub name: String,
    pub ty: TokenStream,
    pub required: bool,
}
