//! Paths and operations to Rust: one trait per tag with one method per operation, one
//! response enum per operation (a variant per documented status, nothing else), and a
//! poem-openapi adapter per tag that extracts the typed inputs and calls the trait.

use openapiv3::{
    Header, MediaType, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, RequestBody,
    Response, Schema, SchemaKind, StatusCode, StringFormat, StringType, Type,
    VariantOrUnknownOrEmpty,
};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::error::{Result, SpecError};
use crate::models::{EnumName, inline_type, multipart_struct, schema_ident};
use crate::names::{Case, Namer, convert, fallback};
use crate::{Spec, doc_attr};

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

impl Op {
    /// How the generated form extractor refuses a body it cannot read: as the RFC 6749
    /// `invalid_request` when the operation's 400 is marked `x-error-format: oauth2`,
    /// else as a 400 problem.
    fn form_refusal(&self) -> TokenStream {
        let oauth = self.responses.iter().any(|r| {
            r.status == Status::Code(400) && r.error_format.as_deref() == Some(OAUTH2_ERROR_FORMAT)
        });
        if oauth {
            quote! { AsOAuth }
        } else {
            quote! { AsProblem }
        }
    }
}

pub struct Param {
    pub name: String,
    /// The argument's name in the trait method and the adapter.
    pub ident: proc_macro2::Ident,
    pub location: ParamIn,
    pub ty: TokenStream,
    pub required: bool,
    pub default: Option<TokenStream>,
    pub validators: Vec<TokenStream>,
    pub description: Option<String>,
    /// The item type of a `simple` array in the path or a header (`a,b,c`), read by the
    /// generated comma-separated extractor; `ty` is then `Vec<item>`.
    pub simple_items: Option<TokenStream>,
    /// Set for a parameter poem-openapi's extractors cannot read (an object, a union,
    /// a style other than `form` in the query or `simple` in the path, `content`): the
    /// runtime's `SpecParam` reads it from the raw request instead.
    pub raw: Option<RawParam>,
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
    /// `application/x-www-form-urlencoded` into a component or an inline object, refused
    /// as the operation's 400 says (see [`Op::form_refusal`]).
    Form(TokenStream),
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

/// Every operation of the spec, in spec order.
pub fn read_operations(spec: &Spec) -> Result<Vec<Op>> {
    let mut ops = Vec::new();
    for (path, item) in spec.doc.paths.iter() {
        let location = format!("paths.{path}");
        let ReferenceOr::Item(item) = item else {
            return Err(SpecError::new(
                location,
                "`$ref` path items are not supported",
            ));
        };
        for (method, op) in item.iter() {
            let op_location = format!("{location}.{method}");
            let mut params = item.parameters.clone();
            params.extend(op.parameters.iter().cloned());
            // Where each parameter is in the spec, as a JSON pointer: its component, or
            // its place in the path item's or the operation's list.
            let path_token = pointer_token(path);
            let pointers: Vec<String> = params
                .iter()
                .enumerate()
                .map(|(index, param)| match param {
                    ReferenceOr::Reference { reference } => {
                        reference.trim_start_matches('#').to_string()
                    }
                    ReferenceOr::Item(_) if index < item.parameters.len() => {
                        format!("/paths/{path_token}/parameters/{index}")
                    }
                    ReferenceOr::Item(_) => format!(
                        "/paths/{path_token}/{method}/parameters/{}",
                        index - item.parameters.len()
                    ),
                })
                .collect();
            ops.push(read_operation(
                spec,
                path,
                method,
                op,
                &params,
                &pointers,
                &op_location,
            )?);
        }
    }
    check_shared_handlers(&ops)?;
    for op in &ops {
        if let Some(successor) = op.deprecation.as_ref().and_then(|d| d.successor.as_ref())
            && !ops.iter().any(|o| &o.id == successor)
        {
            return Err(SpecError::new(
                format!("paths.{}.{}.x-successor", op.path, op.method),
                format!("no operation has the operationId `{successor}`"),
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for op in &ops {
        if !seen.insert(op.id.as_str()) {
            return Err(SpecError::new(
                format!("paths.{}.{}.operationId", op.path, op.method),
                format!("operationId `{}` is used twice", op.id),
            ));
        }
    }
    Ok(ops)
}

/// What must be identical for two operations to share one handler.
fn signature(op: &Op) -> Vec<(&'static str, String)> {
    let params = op
        .params
        .iter()
        .map(|p| {
            let default = p.default.as_ref().map(ToString::to_string);
            let validators: Vec<String> = p.validators.iter().map(ToString::to_string).collect();
            format!(
                "{}:{:?}:{}:{}:{default:?}:{validators:?}",
                p.name, p.location as u8, p.ty, p.required
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let body = match &op.body {
        None => "none".to_string(),
        Some(body) => {
            let kind = match &body.kind {
                BodyKind::Upload => format!("upload, limit {:?}", op.max_body_bytes),
                kind => kind_signature(kind),
            };
            format!("{kind}, required {}", body.required)
        }
    };
    let responses = op
        .responses
        .iter()
        .map(|r| {
            let payload = r
                .payload
                .as_ref()
                .map(|p| format!("{} {}", p.content_type, p.ty));
            let headers: Vec<String> = r
                .headers
                .iter()
                .map(|h| format!("{}:{}:{}", h.name, h.ty, h.required))
                .collect();
            format!(
                "{:?} {payload:?} {headers:?} {:?}",
                r.status, r.error_format
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        ("tag", op.tag.clone()),
        ("security", format!("{:?}", op.security)),
        ("parameters", params),
        ("request body", body),
        ("responses", responses),
    ]
}

/// What a request body's reader is, for comparing operations that share a handler.
fn kind_signature(kind: &BodyKind) -> String {
    match kind {
        BodyKind::Json(ty) => format!("json {ty}"),
        BodyKind::InlineJson { ty, pointer, .. } => format!("json {ty} at {pointer}"),
        BodyKind::Form(ty) => format!("form {ty}"),
        BodyKind::Upload => "upload".to_string(),
        BodyKind::Multipart { ty, .. } => format!("multipart {ty}"),
        BodyKind::Text { essence, .. } => format!("text {essence}"),
        BodyKind::OtherJson { essence, json, .. } => {
            format!("{essence} {}", kind_signature(json))
        }
        BodyKind::Bytes { essence, .. } => format!("bytes {essence}"),
        BodyKind::Several { variants, .. } => {
            let variants: Vec<String> = variants
                .iter()
                .map(|(name, _, kind)| format!("{name}: {}", kind_signature(kind)))
                .collect();
            format!("one of {}", variants.join(", "))
        }
    }
}

/// The type the handler gets for a request body.
fn handler_type(kind: &BodyKind, runtime: &syn::Path) -> TokenStream {
    match kind {
        BodyKind::Json(ty) => quote! { #ty },
        BodyKind::Form(ty) | BodyKind::InlineJson { ty, .. } => ty.clone(),
        BodyKind::Upload => quote! { #runtime::Upload },
        BodyKind::Multipart { ty, .. } => quote! { #ty },
        BodyKind::Text { .. } => quote! { String },
        BodyKind::Bytes { raw, .. } => quote! { #raw },
        BodyKind::Several { content, .. } => quote! { #content },
        BodyKind::OtherJson { json, .. } => handler_type(json, runtime),
    }
}

/// The extractor of a request body, and how the handler's value is taken out of it
/// (a suffix to the extracted value).
fn body_extractor(kind: &BodyKind, op: &Op, runtime: &syn::Path) -> (TokenStream, TokenStream) {
    match kind {
        BodyKind::Json(ty) => (quote! { SpecJson<#ty> }, quote! { .0 }),
        BodyKind::InlineJson { wrapper, .. } => (quote! { SpecJson<#wrapper> }, quote! { .0.0 }),
        BodyKind::Form(ty) => {
            let refusal = op.form_refusal();
            (quote! { SpecForm<#ty, #refusal> }, quote! { .0 })
        }
        BodyKind::Upload => (quote! { Upload }, quote! {}),
        BodyKind::Multipart { ty, .. } => (quote! { #runtime::SpecMultipart<#ty> }, quote! { .0 }),
        BodyKind::Text { raw, .. } => (quote! { #raw }, quote! { .0 }),
        BodyKind::Bytes { raw, .. } => (quote! { #raw }, quote! {}),
        BodyKind::Several { payload, .. } => (quote! { #payload }, quote! { .into() }),
        BodyKind::OtherJson { media, json, .. } => match &**json {
            BodyKind::InlineJson { wrapper, .. } => (quote! { #media<#wrapper> }, quote! { .0.0 }),
            BodyKind::Json(ty) => (quote! { #media<#ty> }, quote! { .0 }),
            // Only JSON kinds are wrapped.
            other => body_extractor(other, op, runtime),
        },
    }
}

/// Operations sharing a handler must take and answer exactly the same things.
fn check_shared_handlers(ops: &[Op]) -> Result<()> {
    for (index, op) in ops.iter().enumerate() {
        let Some(first) = ops[..index].iter().find(|o| o.handler == op.handler) else {
            continue;
        };
        for ((part, theirs), (_, ours)) in signature(first).into_iter().zip(signature(op)) {
            if theirs != ours {
                return Err(SpecError::new(
                    format!("paths.{}.{}.x-handler", op.path, op.method),
                    format!(
                        "shares handler `{}` with paths.{}.{} but its {part} differ; \
                         give it a handler of its own",
                        op.handler, first.path, first.method
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn read_operation(
    spec: &Spec,
    path: &str,
    method: &str,
    op: &Operation,
    params: &[ReferenceOr<Parameter>],
    pointers: &[String],
    location: &str,
) -> Result<Op> {
    // `defaults::fill_in` gave every operation an id and exactly one declared tag.
    let id = op
        .operation_id
        .clone()
        .ok_or_else(|| SpecError::new(location, "every operation needs an operationId"))?;
    let handler = crate::extensions::handler(op, location)?.unwrap_or_else(|| id.clone());
    let handler_ident = spec.names.handler(&handler, location)?;
    let adapter_ident = spec
        .names
        .adapter_method(&id, &format!("{location}.operationId"))?;
    let tag = match op.tags.as_slice() {
        [tag] => tag.clone(),
        _ => {
            return Err(SpecError::new(
                format!("{location}.tags"),
                "every operation needs exactly one tag (it names the trait that implements it)",
            ));
        }
    };
    if !spec.doc.tags.iter().any(|t| t.name == tag) {
        return Err(SpecError::new(
            format!("{location}.tags"),
            format!("tag `{tag}` is not declared in the top-level `tags`"),
        ));
    }
    let summary = op.summary.clone().unwrap_or_default();
    if !op.callbacks.is_empty() {
        // Callbacks are requests this service makes, not ones it serves.
        spec.warn(
            format!("{location}.callbacks"),
            "callbacks are documentation only: no route or client is generated for them",
        );
    }
    let security = crate::security::read(spec, op, location)?;
    let mut extra = Vec::new();
    let mut read_params = Vec::new();
    for (index, param) in params.iter().enumerate() {
        let param_location = format!("{location}.parameters[{index}]");
        let param = spec.resolve_parameter(param, &param_location)?;
        read_params.push(read_param(
            spec,
            &handler,
            index,
            param,
            &pointers[index],
            &param_location,
            &mut extra,
        )?);
    }
    read_params.sort_by_key(|p| p.location);
    // Arguments sit beside `auth` and `body` in the trait method and the adapter.
    let mut arguments = Namer::with_reserved(&["auth", "body", "request"]);
    for (index, param) in read_params.iter_mut().enumerate() {
        let name = arguments.name(
            &param.name,
            Case::Value,
            &fallback(&param.name, index, Case::Value),
        );
        param.ident = crate::names::ident(&name, &format!("{location}.parameters"))?;
    }
    for segment in path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}'))
            && !read_params
                .iter()
                .any(|p| p.location == ParamIn::Path && p.name == name)
        {
            return Err(SpecError::new(
                location,
                format!("path parameter `{name}` is not declared in `parameters`"),
            ));
        }
    }
    let body = match &op.request_body {
        None => None,
        Some(body) => {
            let body_location = format!("{location}.requestBody");
            // The body's place in the spec as a JSON pointer, where its schema is found.
            let pointer = match body {
                ReferenceOr::Reference { reference } => {
                    reference.trim_start_matches('#').to_string()
                }
                ReferenceOr::Item(_) => {
                    format!("/paths/{}/{method}/requestBody", pointer_token(path))
                }
            };
            let body = spec.resolve_request_body(body, &body_location)?;
            Some(read_body(
                spec,
                &handler,
                body,
                &pointer,
                &body_location,
                &mut extra,
            )?)
        }
    };
    let responses = read_responses(spec, &handler, op, location, &mut extra)?;
    let statuses: Vec<u16> = responses.iter().filter_map(|r| r.status.code()).collect();
    let rate_limit = crate::extensions::rate_limit(op, &statuses, location)?;
    let deprecation = crate::extensions::deprecation(op, location)?;
    let max_body_bytes = crate::extensions::max_body_bytes(
        op,
        // Both read their files as they stream in, cut at the limit.
        matches!(
            body,
            Some(Body {
                kind: BodyKind::Upload | BodyKind::Multipart { .. },
                ..
            })
        ),
        location,
    )?;
    let version = path
        .split('/')
        .nth(1)
        .filter(|segment| {
            segment.len() > 1
                && segment.starts_with('v')
                && segment[1..].chars().all(|c| c.is_ascii_digit())
        })
        .map(str::to_string);
    let response_ident = spec.names.late_type(
        ("response", handler.clone(), String::new()),
        &format!("{}Response", convert(&handler, Case::Type, "Operation")),
        location,
    )?;
    Ok(Op {
        id,
        handler,
        handler_ident,
        adapter_ident,
        response_ident,
        method: method.to_string(),
        path: path.to_string(),
        tag,
        summary,
        description: op.description.clone(),
        deprecated: op.deprecated,
        security,
        params: read_params,
        body,
        responses,
        rate_limit,
        max_body_bytes,
        deprecation,
        version,
        extra,
    })
}

/// Where a parameter is sent.
fn param_in(param: &Parameter) -> ParamIn {
    match param {
        Parameter::Path { .. } => ParamIn::Path,
        Parameter::Query { .. } => ParamIn::Query,
        Parameter::Header { .. } => ParamIn::Header,
        Parameter::Cookie { .. } => ParamIn::Cookie,
    }
}

fn read_param(
    spec: &Spec,
    op_id: &str,
    index: usize,
    param: &Parameter,
    pointer: &str,
    location: &str,
    extra: &mut Vec<TokenStream>,
) -> Result<Param> {
    let data = param.parameter_data_ref();
    let location_kind = param_in(param);
    if location_kind == ParamIn::Path && !data.required {
        return Err(SpecError::new(location, "path parameters must be required"));
    }
    let (style, explode) = style_of(param);
    let default_style = matches!(style, "Form" | "Simple");
    let schema = match &data.format {
        ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) => schema,
        ParameterSchemaOrContent::Schema(ReferenceOr::Reference { reference })
            if default_style && component_string_enum(spec, reference).is_some() =>
        {
            return read_enum_ref_param(spec, param, location_kind, reference, location);
        }
        ParameterSchemaOrContent::Schema(ReferenceOr::Reference { reference }) => {
            let schema_location = format!("{location}.schema");
            let ident = schema_ident(spec, reference, &schema_location)?;
            let raw = RawParam {
                style,
                explode,
                pointer: format!("{pointer}/schema"),
            };
            return Ok(raw_param(
                param,
                location_kind,
                quote! { #ident },
                None,
                raw,
            ));
        }
        ParameterSchemaOrContent::Content(content) => {
            return read_content_param(
                spec, op_id, index, param, content, pointer, location, extra,
            );
        }
    };
    let schema_location = format!("{location}.schema");
    let base = format!(
        "{}{}",
        convert(op_id, Case::Type, "Operation"),
        convert(
            &data.name,
            Case::Type,
            &fallback(&data.name, index, Case::Type)
        )
    );
    // Keyed by the handler, the parameter's place and name: operations sharing a
    // handler share its types.
    let key_item = format!("{:?}:{}", location_kind as u8, data.name);
    let enum_name = EnumName {
        key: ("parameter", op_id.to_string(), key_item.clone()),
        base,
    };
    let scalar_or_array = matches!(
        schema.schema_kind,
        SchemaKind::Type(
            Type::String(_)
                | Type::Integer(_)
                | Type::Number(_)
                | Type::Boolean(_)
                | Type::Array(_)
        )
    );
    let readable_array = match &schema.schema_kind {
        SchemaKind::Type(Type::Array(array)) => {
            check_array_param(param, data.required, array, location).is_ok()
        }
        _ => true,
    };
    if !scalar_or_array || !default_style || !readable_array {
        // Objects, unions, other styles and arrays poem-openapi cannot read as the spec
        // means them: the runtime reads the raw text, and the schema checks it.
        let mut local = Vec::new();
        let ty = inline_type(spec, schema, &schema_location, &enum_name, &mut local)?;
        extra.extend(local);
        let default = raw_default(spec, data.required, schema, &ty, &schema_location);
        let raw = RawParam {
            style,
            explode,
            pointer: format!("{pointer}/schema"),
        };
        return Ok(raw_param(param, location_kind, ty, default, raw));
    }
    let mut validators = Vec::new();
    if let SchemaKind::Type(Type::Array(array)) = &schema.schema_kind {
        if let Some(max) = array.max_items {
            validators.push(quote! { max_items = #max });
        }
        if let Some(min) = array.min_items {
            validators.push(quote! { min_items = #min });
        }
        if array.unique_items {
            validators.push(quote! { unique_items });
        }
    }
    let mut local = Vec::new();
    let mut simple_items = None;
    let ty = match &schema.schema_kind {
        SchemaKind::Type(Type::Array(openapiv3::ArrayType {
            items: Some(ReferenceOr::Item(items)),
            ..
        })) if location_kind != ParamIn::Query || data.explode == Some(false) => {
            let item = inline_type(
                spec,
                items,
                &format!("{schema_location}.items"),
                &enum_name,
                &mut local,
            )?;
            let ty = quote! { Vec<#item> };
            simple_items = Some(item);
            ty
        }
        _ => inline_type(spec, schema, &schema_location, &enum_name, &mut local)?,
    };
    extra.extend(local);
    validators.extend(param_validators(spec, schema, &schema_location)?);
    if let SchemaKind::Type(Type::String(StringType {
        pattern: Some(pattern),
        ..
    })) = &schema.schema_kind
    {
        let key = ("pattern", op_id.to_string(), key_item);
        let (item, validator) =
            param_pattern(spec, key, &enum_name.base, pattern, &schema_location)?;
        extra.push(item);
        validators.push(validator);
    }
    let default = match &schema.schema_data.default {
        None => None,
        Some(value) => Some(default_literal(value, &ty, schema, &schema_location)?),
    };
    // A required parameter is always given, so its default (checked above) never applies.
    let default = default.filter(|_| !data.required);
    Ok(Param {
        name: data.name.clone(),
        // Named with its neighbours once every parameter is read.
        ident: format_ident!("unnamed"),
        location: location_kind,
        ty,
        required: data.required,
        default,
        validators,
        description: data.description.clone(),
        simple_items,
        raw: None,
    })
}

/// A parameter's style as the runtime's `ParamStyle` names it, and whether it is
/// exploded (by default only `form` is).
fn style_of(param: &Parameter) -> (&'static str, bool) {
    let style = match param {
        Parameter::Query { style, .. } => match style {
            openapiv3::QueryStyle::Form => "Form",
            openapiv3::QueryStyle::SpaceDelimited => "SpaceDelimited",
            openapiv3::QueryStyle::PipeDelimited => "PipeDelimited",
            openapiv3::QueryStyle::DeepObject => "DeepObject",
        },
        Parameter::Path { style, .. } => match style {
            openapiv3::PathStyle::Simple => "Simple",
            openapiv3::PathStyle::Label => "Label",
            openapiv3::PathStyle::Matrix => "Matrix",
        },
        Parameter::Header { .. } => "Simple",
        Parameter::Cookie { .. } => "Form",
    };
    let explode = param
        .parameter_data_ref()
        .explode
        .unwrap_or(style == "Form");
    (style, explode)
}

/// A parameter the runtime's `SpecParam` reads.
fn raw_param(
    param: &Parameter,
    location: ParamIn,
    ty: TokenStream,
    default: Option<TokenStream>,
    raw: RawParam,
) -> Param {
    let data = param.parameter_data_ref();
    Param {
        name: data.name.clone(),
        // Named with its neighbours once every parameter is read.
        ident: format_ident!("unnamed"),
        location,
        ty,
        required: data.required,
        default,
        validators: Vec::new(),
        description: data.description.clone(),
        simple_items: None,
        raw: Some(raw),
    }
}

/// The default of an optional parameter the runtime reads, when it is one the
/// generator can write (a scalar); another is read past with a warning.
fn raw_default(
    spec: &Spec,
    required: bool,
    schema: &Schema,
    ty: &TokenStream,
    location: &str,
) -> Option<TokenStream> {
    let value = schema.schema_data.default.as_ref()?;
    if required {
        return None;
    }
    match default_literal(value, ty, schema, location) {
        Ok(default) => Some(default),
        Err(_) => {
            spec.warn(
                format!("{location}.default"),
                "this default is not applied: the handler gets `None` when the parameter \
                 is absent",
            );
            None
        }
    }
}

/// A parameter given by `content`: a JSON media type is a JSON document in the
/// parameter's text, checked by the media type's schema; another media type is the text.
#[allow(clippy::too_many_arguments)]
fn read_content_param(
    spec: &Spec,
    op_id: &str,
    index: usize,
    param: &Parameter,
    content: &indexmap::IndexMap<String, MediaType>,
    pointer: &str,
    location: &str,
    extra: &mut Vec<TokenStream>,
) -> Result<Param> {
    let data = param.parameter_data_ref();
    let location_kind = param_in(param);
    let mut entries = content.iter();
    let (Some((media_type, media)), None) = (entries.next(), entries.next()) else {
        return Err(SpecError::new(
            format!("{location}.content"),
            "a parameter's `content` must hold exactly one media type",
        ));
    };
    let media_location = format!("{location}.content.{media_type}");
    let schema_pointer = format!("{pointer}/content/{}/schema", pointer_token(media_type));
    if !crate::media::is_json(media_type) {
        let raw = RawParam {
            style: "Text",
            explode: false,
            pointer: if media.schema.is_some() {
                schema_pointer
            } else {
                String::new()
            },
        };
        return Ok(raw_param(
            param,
            location_kind,
            quote! { String },
            None,
            raw,
        ));
    }
    let (ty, default) = match &media.schema {
        None => (quote! { serde_json::Value }, None),
        Some(ReferenceOr::Reference { reference }) => {
            let ident = schema_ident(spec, reference, &format!("{media_location}.schema"))?;
            (quote! { #ident }, None)
        }
        Some(ReferenceOr::Item(schema)) => {
            let enum_name = EnumName {
                key: (
                    "parameter",
                    op_id.to_string(),
                    format!("{:?}:{}", location_kind as u8, data.name),
                ),
                base: format!(
                    "{}{}",
                    convert(op_id, Case::Type, "Operation"),
                    convert(
                        &data.name,
                        Case::Type,
                        &fallback(&data.name, index, Case::Type)
                    )
                ),
            };
            let schema_location = format!("{media_location}.schema");
            let mut local = Vec::new();
            let ty = inline_type(spec, schema, &schema_location, &enum_name, &mut local)?;
            extra.extend(local);
            let default = raw_default(spec, data.required, schema, &ty, &schema_location);
            (ty, default)
        }
    };
    let raw = RawParam {
        style: "Json",
        explode: false,
        pointer: if media.schema.is_some() {
            schema_pointer
        } else {
            String::new()
        },
    };
    Ok(raw_param(param, location_kind, ty, default, raw))
}

/// The component a `$ref` names, when it is a string enum.
fn component_string_enum<'a>(spec: &'a Spec, reference: &str) -> Option<&'a Schema> {
    let name = crate::models::schema_ref_name(reference, "").ok()?;
    match spec.doc.components.as_ref()?.schemas.get(&name)? {
        ReferenceOr::Item(schema)
            if matches!(
                &schema.schema_kind,
                SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty()
            ) =>
        {
            Some(schema)
        }
        _ => None,
    }
}

/// A parameter whose schema is a `$ref` to a component string enum: that enum.
fn read_enum_ref_param(
    spec: &Spec,
    param: &Parameter,
    location_kind: ParamIn,
    reference: &str,
    location: &str,
) -> Result<Param> {
    let data = param.parameter_data_ref();
    let schema_location = format!("{location}.schema");
    let name = crate::models::schema_ref_name(reference, &schema_location)?;
    let ident = schema_ident(spec, reference, &schema_location)?;
    let component = spec
        .doc
        .components
        .as_ref()
        .and_then(|c| c.schemas.get(&name));
    let schema = match component {
        Some(ReferenceOr::Item(schema))
            if matches!(
                &schema.schema_kind,
                SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty()
            ) =>
        {
            schema
        }
        _ => {
            return Err(SpecError::new(
                schema_location,
                "a `$ref` parameter schema must name a component string enum; \
                 write other schemas inline",
            ));
        }
    };
    let ty = quote! { #ident };
    let default = match &schema.schema_data.default {
        None => None,
        Some(value) => Some(default_literal(value, &ty, schema, &schema_location)?),
    };
    // A required parameter is always given, so its default never applies.
    let default = default.filter(|_| !data.required);
    Ok(Param {
        name: data.name.clone(),
        // Named with its neighbours once every parameter is read.
        ident: format_ident!("unnamed"),
        location: location_kind,
        ty,
        required: data.required,
        default,
        validators: Vec::new(),
        description: data.description.clone(),
        simple_items: None,
        raw: None,
    })
}

/// An array parameter the generated extractors read as the spec means it: an optional
/// query parameter in the `form` style, exploded (`?tag=a&tag=b`), of scalar items
/// without validation keywords of their own.
fn check_array_param(
    param: &Parameter,
    required: bool,
    array: &openapiv3::ArrayType,
    location: &str,
) -> Result<()> {
    let style = match param {
        Parameter::Query { style, .. } => style,
        Parameter::Path { style, .. } => {
            return if *style == openapiv3::PathStyle::Simple {
                check_simple_array(array, location)
            } else {
                Err(SpecError::new(
                    format!("{location}.style"),
                    "array path parameters are supported in the `simple` style only",
                ))
            };
        }
        Parameter::Header { style, .. } => {
            // `simple` is the only style a header has.
            let openapiv3::HeaderStyle::Simple = style;
            return check_simple_array(array, location);
        }
        Parameter::Cookie { .. } => {
            return Err(SpecError::new(
                location,
                "array cookie parameters are not supported",
            ));
        }
    };
    if *style != openapiv3::QueryStyle::Form {
        return Err(SpecError::new(
            format!("{location}.style"),
            "array query parameters are supported in the `form` style only",
        ));
    }
    if param.parameter_data_ref().explode == Some(false) {
        // `?tag=a,b`: one value, comma-separated, read like a `simple` array.
        return check_simple_array(array, location);
    }
    if required {
        return Err(SpecError::new(
            format!("{location}.required"),
            "a required array query parameter is not supported (an absent one reads as empty)",
        ));
    }
    check_array_items(array, location)
}

/// A `simple` array (`a,b,c`) in the path or a header: items as for any array
/// parameter, and no item-count keywords (the comma-separated extractor has none).
fn check_simple_array(array: &openapiv3::ArrayType, location: &str) -> Result<()> {
    if array.min_items.is_some() || array.max_items.is_some() || array.unique_items {
        return Err(SpecError::new(
            format!("{location}.schema"),
            "minItems, maxItems and uniqueItems are supported on exploded query arrays only",
        ));
    }
    check_array_items(array, location)
}

/// The items of an array parameter: inline scalars without validation keywords.
fn check_array_items(array: &openapiv3::ArrayType, location: &str) -> Result<()> {
    let items_location = format!("{location}.schema.items");
    match &array.items {
        Some(ReferenceOr::Item(items)) => {
            let plain = match &items.schema_kind {
                SchemaKind::Type(Type::String(string)) => {
                    string.pattern.is_none()
                        && string.min_length.is_none()
                        && string.max_length.is_none()
                }
                SchemaKind::Type(Type::Integer(integer)) => {
                    integer.minimum.is_none()
                        && integer.maximum.is_none()
                        && integer.multiple_of.is_none()
                }
                SchemaKind::Type(Type::Number(number)) => {
                    number.minimum.is_none()
                        && number.maximum.is_none()
                        && number.multiple_of.is_none()
                }
                SchemaKind::Type(Type::Boolean(_)) => true,
                _ => {
                    return Err(SpecError::new(
                        items_location,
                        "the items of an array parameter must be scalars (string, integer, \
                         number, boolean)",
                    ));
                }
            };
            if !plain {
                return Err(SpecError::new(
                    items_location,
                    "validation keywords on the items of an array parameter are not supported",
                ));
            }
            Ok(())
        }
        _ => Err(SpecError::new(
            items_location,
            "the items of an array parameter must be written inline",
        )),
    }
}

/// A parameter's `pattern`: a static the runtime compiles on first use, and the
/// validator that checks it (poem-openapi's own `pattern` validator would compile the
/// regex again on every request). The pattern is compiled here too, so one the Rust
/// regex dialect cannot read (lookaround, backreferences) is refused with its location.
fn param_pattern(
    spec: &Spec,
    key: (&'static str, String, String),
    name: &str,
    pattern: &str,
    location: &str,
) -> Result<(TokenStream, TokenStream)> {
    if let Err(error) = regex::Regex::new(pattern) {
        return Err(SpecError::new(
            format!("{location}.pattern"),
            format!("the pattern is not a regular expression this generator supports: {error}"),
        ));
    }
    let runtime = &spec.runtime;
    let base = format!("{}_PATTERN", convert(name, Case::Static, "PARAMETER"));
    let ident = spec.names.late_static(key, &base, location)?;
    let item = quote! {
        static #ident: #runtime::ParamPattern = #runtime::ParamPattern::new(#pattern);
    };
    let custom = format!("&{ident}");
    Ok((item, quote! { custom = #custom }))
}

fn param_validators(spec: &Spec, schema: &Schema, location: &str) -> Result<Vec<TokenStream>> {
    let mut validators = Vec::new();
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            if let Some(max) = string.max_length {
                validators.push(quote! { max_length = #max });
            }
            if let Some(min) = string.min_length {
                validators.push(quote! { min_length = #min });
            }
            if let VariantOrUnknownOrEmpty::Unknown(format) = &string.format
                && format != "uuid"
            {
                spec.warn(
                    format!("{location}.format"),
                    format!(
                        "format `{format}` is not checked on parameters: the value reaches \
                         the handler as text"
                    ),
                );
            }
        }
        SchemaKind::Type(Type::Integer(integer)) => {
            if let Some(max) = integer.maximum {
                let value = max.to_string();
                let exclusive = integer.exclusive_maximum;
                validators.push(quote! { maximum(value = #value, exclusive = #exclusive) });
            }
            if let Some(min) = integer.minimum {
                let value = min.to_string();
                let exclusive = integer.exclusive_minimum;
                validators.push(quote! { minimum(value = #value, exclusive = #exclusive) });
            }
            if integer.multiple_of.is_some() {
                return Err(SpecError::new(
                    format!("{location}.multipleOf"),
                    "multipleOf is not supported on parameters",
                ));
            }
        }
        SchemaKind::Type(Type::Number(number)) => {
            if let Some(max) = number.maximum {
                let value = max.to_string();
                let exclusive = number.exclusive_maximum;
                validators.push(quote! { maximum(value = #value, exclusive = #exclusive) });
            }
            if let Some(min) = number.minimum {
                let value = min.to_string();
                let exclusive = number.exclusive_minimum;
                validators.push(quote! { minimum(value = #value, exclusive = #exclusive) });
            }
        }
        _ => {}
    }
    Ok(validators)
}

/// A parameter's `default` as a Rust expression of its type `ty`.
fn default_literal(
    value: &serde_json::Value,
    ty: &TokenStream,
    schema: &Schema,
    location: &str,
) -> Result<TokenStream> {
    let wrong = || {
        SpecError::new(
            format!("{location}.default"),
            format!("default `{value}` does not fit the parameter's type"),
        )
    };
    // Parameter defaults are written `"text".to_string()` beside `unwrap_or_else`.
    if ty.to_string() == "String" {
        let text = value.as_str().ok_or_else(wrong)?;
        return Ok(quote! { #text.to_string() });
    }
    crate::models::default_value(value, ty, Some(schema), "parameter", location)?.ok_or_else(wrong)
}

/// `text` as one reference token of a JSON pointer (`~` is `~0`, `/` is `~1`).
fn pointer_token(text: &str) -> String {
    text.replace('~', "~0").replace('/', "~1")
}

fn read_body(
    spec: &Spec,
    handler: &str,
    body: &RequestBody,
    pointer: &str,
    location: &str,
    extra: &mut Vec<TokenStream>,
) -> Result<Body> {
    if body.content.contains_key("multipart/form-data") && is_upload_body(body) {
        // An optional upload is `None` for a request without a body, as any body is.
        return Ok(Body {
            required: body.required,
            kind: BodyKind::Upload,
        });
    }
    let mut kinds = Vec::new();
    let mut essences = std::collections::HashSet::new();
    for (content_type, media) in &body.content {
        let content_location = format!("{location}.content.{content_type}");
        if !essences.insert(crate::media::essence(content_type)) {
            return Err(SpecError::new(
                content_location,
                "this media type is listed twice (parameters aside)",
            ));
        }
        let kind = read_content(
            spec,
            handler,
            content_type,
            media,
            pointer,
            &content_location,
            extra,
        )?;
        kinds.push((content_type, kind));
    }
    let type_name = convert(handler, Case::Type, "Operation");
    let kind = match kinds.len() {
        0 => {
            return Err(SpecError::new(
                format!("{location}.content"),
                "a request body needs a media type",
            ));
        }
        1 => kinds.pop().expect("one media type").1,
        _ => {
            let late = |item: &str, suffix: &str| {
                spec.names.late_type(
                    ("request body", handler.to_string(), item.to_string()),
                    &format!("{type_name}{suffix}"),
                    location,
                )
            };
            // Exact types are tried first, then `type/*`, then `*/*`.
            kinds.sort_by_key(|(content_type, _)| {
                let essence = crate::media::essence(content_type);
                (essence.ends_with('*'), essence.starts_with('*'))
            });
            let mut names = Namer::with_reserved(&[]);
            let mut variants = Vec::new();
            for (index, (content_type, kind)) in kinds.into_iter().enumerate() {
                let essence = crate::media::essence(content_type).replace('*', "any");
                let name = names.name(&essence, Case::Type, &fallback(&essence, index, Case::Type));
                let ident = crate::names::ident(&name, &format!("{location}.content"))?;
                variants.push((ident, content_type.clone(), kind));
            }
            BodyKind::Several {
                content: late("content", "RequestContent")?,
                payload: late("payload", "RequestPayload")?,
                variants,
            }
        }
    };
    Ok(Body {
        required: body.required,
        kind,
    })
}

/// How one media type of a request body is read.
fn read_content(
    spec: &Spec,
    handler: &str,
    content_type: &str,
    media: &MediaType,
    pointer: &str,
    location: &str,
    extra: &mut Vec<TokenStream>,
) -> Result<BodyKind> {
    let media_location = format!("{location}.schema");
    let essence = crate::media::essence(content_type);
    let type_name = convert(handler, Case::Type, "Operation");
    if crate::media::is_json(content_type) {
        let json = match &media.schema {
            Some(ReferenceOr::Reference { reference }) => Ok(BodyKind::Json(schema_ident(
                spec,
                reference,
                &media_location,
            )?)),
            Some(ReferenceOr::Item(schema)) => {
                let name = EnumName {
                    key: (
                        "request body",
                        handler.to_string(),
                        content_type.to_string(),
                    ),
                    base: format!("{type_name}Request"),
                };
                let ty = inline_type(spec, schema, &media_location, &name, extra)?;
                let wrapper = spec.names.late_type(
                    (
                        "request body",
                        handler.to_string(),
                        format!("wrapper {content_type}"),
                    ),
                    &format!("{type_name}RequestBody"),
                    &media_location,
                )?;
                let pointer = format!("{pointer}/content/{}/schema", pointer_token(content_type));
                Ok(BodyKind::InlineJson {
                    ty,
                    wrapper,
                    pointer,
                })
            }
            None => Err(SpecError::new(
                location,
                "a JSON request body needs a schema to be checked against",
            )),
        }?;
        if essence == "application/json" {
            return Ok(json);
        }
        // Another JSON type (`merge-patch+json`, `vnd.api+json`): read as JSON, under
        // a type that accepts that `Content-Type`.
        let base = convert(&essence, Case::Type, "Media");
        let media = spec.names.late_type(
            ("json media", essence.clone(), String::new()),
            &base,
            location,
        )?;
        return Ok(BodyKind::OtherJson {
            media,
            essence,
            json: Box::new(json),
        });
    }
    if essence == "application/x-www-form-urlencoded" {
        return match &media.schema {
            Some(ReferenceOr::Reference { reference }) => {
                let ident = schema_ident(spec, reference, &media_location)?;
                Ok(BodyKind::Form(quote! { #ident }))
            }
            Some(ReferenceOr::Item(schema))
                if matches!(schema.schema_kind, SchemaKind::Type(Type::Object(_))) =>
            {
                let name = EnumName {
                    key: (
                        "request body",
                        handler.to_string(),
                        content_type.to_string(),
                    ),
                    base: format!("{type_name}Request"),
                };
                let ty = inline_type(spec, schema, &media_location, &name, extra)?;
                Ok(BodyKind::Form(ty))
            }
            _ => Err(SpecError::new(
                media_location,
                "a form body's schema must be an object: inline or a `$ref` to a component",
            )),
        };
    }
    if essence == "multipart/form-data" {
        return read_multipart(spec, handler, content_type, media, location);
    }
    if essence.starts_with("multipart/") {
        return Err(SpecError::new(
            location,
            "the only multipart bodies supported are `multipart/form-data` objects",
        ));
    }
    if essence.contains('*') && !crate::media::is_range(&essence) {
        return Err(SpecError::new(
            location,
            "a media range is `*/*` or `type/*`",
        ));
    }
    let is_text = crate::media::is_text(content_type);
    let (what, suffix) = if is_text {
        ("text", "Text")
    } else {
        ("bytes", "Bytes")
    };
    let base = format!(
        "{}{suffix}",
        convert(&essence.replace('*', "any"), Case::Type, "Media")
    );
    let raw = spec.names.late_type(
        ("raw body", essence.clone(), what.to_string()),
        &base,
        location,
    )?;
    Ok(if is_text {
        BodyKind::Text { raw, essence }
    } else {
        BodyKind::Bytes { raw, essence }
    })
}

/// A `multipart/form-data` body of an object schema, read into a generated struct:
/// `{Operation}Request` for an inline schema, `{Component}Parts` for a `$ref` to a
/// component (shared by every operation that refers to it).
fn read_multipart(
    spec: &Spec,
    handler: &str,
    content_type: &str,
    media: &MediaType,
    location: &str,
) -> Result<BodyKind> {
    let schema_location = format!("{location}.schema");
    let (schema, naming, at) = match &media.schema {
        Some(ReferenceOr::Reference { reference }) => {
            let component = schema_ident(spec, reference, &schema_location)?;
            let name = crate::models::schema_ref_name(reference, &schema_location)?;
            let schema = spec
                .doc
                .components
                .as_ref()
                .and_then(|c| c.schemas.get(&name))
                .ok_or_else(|| {
                    SpecError::new(&schema_location, format!("`{reference}` points nowhere"))
                })?;
            let ReferenceOr::Item(schema) = schema else {
                return Err(SpecError::new(
                    format!("components.schemas.{name}"),
                    "a multipart body's component must be an object schema, not a `$ref`",
                ));
            };
            let naming = EnumName {
                key: ("multipart", name.clone(), String::new()),
                base: format!("{component}Parts"),
            };
            (schema, naming, format!("components.schemas.{name}"))
        }
        Some(ReferenceOr::Item(schema)) => {
            let type_name = convert(handler, Case::Type, "Operation");
            let naming = EnumName {
                key: (
                    "request body",
                    handler.to_string(),
                    content_type.to_string(),
                ),
                base: format!("{type_name}Request"),
            };
            (schema, naming, schema_location.clone())
        }
        None => {
            return Err(SpecError::new(
                location,
                "a multipart body needs a schema naming its parts",
            ));
        }
    };
    let ty = spec
        .names
        .late_type(naming.key.clone(), &naming.base, &at)?;
    let mut items = Vec::new();
    let item = multipart_struct(spec, &ty, schema, &at, &naming, &mut items)?;
    items.push(item);
    Ok(BodyKind::Multipart { ty, items })
}

/// The binary upload, kept as its own construct: `multipart/form-data` with exactly one
/// required `format: binary` property `file`, together with `application/octet-stream`
/// of `type: string, format: binary`. Any other multipart body has named parts.
fn is_upload_body(body: &RequestBody) -> bool {
    if body.content.len() != 2 {
        return false;
    }
    body.content.iter().all(|(content_type, media)| {
        let Some(ReferenceOr::Item(schema)) = &media.schema else {
            return false;
        };
        match (content_type.as_str(), &schema.schema_kind) {
            ("application/octet-stream", kind) => is_binary(kind),
            ("multipart/form-data", SchemaKind::Type(Type::Object(object))) => {
                object.required == ["file"]
                    && object.properties.len() == 1
                    && object.additional_properties.is_none()
                    && matches!(
                        object.properties.get("file"),
                        Some(ReferenceOr::Item(file)) if is_binary(&file.schema_kind)
                    )
            }
            _ => false,
        }
    })
}

fn is_binary(kind: &SchemaKind) -> bool {
    matches!(
        kind,
        SchemaKind::Type(Type::String(string))
            if string.enumeration.is_empty()
                && matches!(string.format, VariantOrUnknownOrEmpty::Item(StringFormat::Binary))
    )
}

fn read_responses(
    spec: &Spec,
    handler: &str,
    op: &Operation,
    location: &str,
    extra: &mut Vec<TokenStream>,
) -> Result<Vec<Variant>> {
    let op_error_format = read_error_format(op.extensions.get(ERROR_FORMAT), || {
        format!("{location}.{ERROR_FORMAT}")
    })?;
    let location = format!("{location}.responses");
    let mut listed = Vec::new();
    for (code, response) in &op.responses.responses {
        let (status, key) = match code {
            StatusCode::Code(code) => (Status::Code(*code), code.to_string()),
            StatusCode::Range(range @ 1..=5) => (Status::Range(*range), format!("{range}XX")),
            StatusCode::Range(range) => {
                return Err(SpecError::new(
                    format!("{location}.{range}XX"),
                    "a status range is one of 1XX, 2XX, 3XX, 4XX and 5XX",
                ));
            }
        };
        listed.push((status, key, response));
    }
    if let Some(response) = &op.responses.default {
        listed.push((Status::Default, "default".to_string(), response));
    }
    let mut variants = Vec::new();
    for (status, key, response) in listed {
        let response_location = format!("{location}.{key}");
        let response = spec.resolve_response(response, &response_location)?;
        let mut variant =
            read_response(spec, handler, status, response, &response_location, extra)?;
        // The response's own marker wins over the operation's.
        variant.error_format = read_error_format(response.extensions.get(ERROR_FORMAT), || {
            format!("{response_location}.{ERROR_FORMAT}")
        })?
        .or_else(|| op_error_format.clone());
        variants.push(variant);
    }
    if variants.is_empty() {
        // OpenAPI asks for at least one response; a spec that lists none says nothing
        // about the answer, which is what a `default` without content says.
        spec.warn(
            &location,
            "no response is documented: the handler answers with any status and no body",
        );
        let response = Response {
            description: "Not documented.".to_string(),
            ..Response::default()
        };
        variants.push(read_response(
            spec,
            handler,
            Status::Default,
            &response,
            &location,
            extra,
        )?);
    }
    Ok(variants)
}

/// A known `x-error-format` value, if one is given.
fn read_error_format(
    marker: Option<&serde_json::Value>,
    location: impl FnOnce() -> String,
) -> Result<Option<String>> {
    match marker {
        None => Ok(None),
        Some(value) if value.as_str() == Some(OAUTH2_ERROR_FORMAT) => {
            Ok(Some(OAUTH2_ERROR_FORMAT.to_string()))
        }
        Some(value) => Err(SpecError::new(
            location(),
            format!("unknown error format {value}; the known one is `{OAUTH2_ERROR_FORMAT}`"),
        )),
    }
}

fn read_response(
    spec: &Spec,
    handler: &str,
    status: Status,
    response: &Response,
    location: &str,
    extra: &mut Vec<TokenStream>,
) -> Result<Variant> {
    let status_name = match status {
        Status::Code(code) => code.to_string(),
        Status::Range(range) => format!("{range}XX"),
        Status::Default => "Default".to_string(),
    };
    let type_name = convert(handler, Case::Type, "Operation");
    let several = response.content.len() > 1;
    let mut payloads = Vec::new();
    let mut names = Namer::with_reserved(&[]);
    for (index, (content_type, media)) in response.content.iter().enumerate() {
        // Digits and `XX` after a type name keep it one identifier.
        let name = EnumName {
            key: (
                "response body",
                handler.to_string(),
                if several {
                    format!("{status_name} {content_type}")
                } else {
                    status_name.clone()
                },
            ),
            base: format!("{type_name}{status_name}Response"),
        };
        let payload = read_payload(
            spec,
            content_type,
            media,
            &name,
            &format!("{location}.content.{content_type}"),
            extra,
        )?;
        let essence = crate::media::essence(content_type).replace('*', "any");
        let variant = names.name(&essence, Case::Type, &fallback(&essence, index, Case::Type));
        let variant = crate::names::ident(&variant, &format!("{location}.content"))?;
        payloads.push((variant, payload));
    }
    let payload = if several {
        let content = spec.names.late_type(
            ("response content", handler.to_string(), status_name.clone()),
            &format!("{type_name}{status_name}Content"),
            location,
        )?;
        extra.push(response_content_enum(&content, &payloads));
        Some(Payload {
            content_type: String::new(),
            range: None,
            variants: payloads,
            ty: quote! { #content },
            schema: None,
        })
    } else {
        payloads.pop().map(|(_, payload)| payload)
    };
    let mut headers = Vec::new();
    for (name, header) in &response.headers {
        // Headers the middleware sets on every response are not the handler's business.
        if spec
            .middleware_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
        {
            continue;
        }
        let header_location = format!("{location}.headers.{name}");
        let header = spec.resolve_header(header, &header_location)?;
        headers.push(read_header(spec, name, header, &header_location)?);
    }
    let ident = match status {
        Status::Code(code) => status_variant(code),
        Status::Range(range) => format!("Status{range}XX"),
        Status::Default => "Default".to_string(),
    };
    Ok(Variant {
        status,
        ident: format_ident!("{ident}"),
        description: response.description.clone(),
        payload,
        headers,
        error_format: None,
    })
}

/// A response header: a string, number, boolean or uuid as that type; any other schema
/// (date-times, enums, arrays, objects, a `$ref`, `content`) as the `String` the handler
/// writes in the header's own serialisation.
fn read_header(spec: &Spec, name: &str, header: &Header, location: &str) -> Result<ResponseHeader> {
    let text = || ResponseHeader {
        name: name.to_string(),
        ty: quote! { String },
        required: header.required,
    };
    let ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) = &header.format else {
        return Ok(text());
    };
    let typed = match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => string.enumeration.is_empty(),
        SchemaKind::Type(Type::Integer(_) | Type::Number(_) | Type::Boolean(_)) => true,
        _ => false,
    };
    if !typed {
        return Ok(text());
    }
    let mut extra = Vec::new();
    let enum_name = EnumName {
        key: ("header", location.to_string(), String::new()),
        base: "Header".to_string(),
    };
    let ty = inline_type(
        spec,
        schema,
        &format!("{location}.schema"),
        &enum_name,
        &mut extra,
    )?;
    let writable = matches!(
        ty.to_string().as_str(),
        "String" | "i64" | "i32" | "f64" | "f32" | "bool" | "uuid :: Uuid"
    );
    Ok(if writable {
        ResponseHeader {
            name: name.to_string(),
            ty,
            required: header.required,
        }
    } else {
        text()
    })
}

fn read_payload(
    spec: &Spec,
    content_type: &str,
    media: &MediaType,
    name: &EnumName,
    location: &str,
    extra: &mut Vec<TokenStream>,
) -> Result<Payload> {
    let schema_location = format!("{location}.schema");
    let essence = crate::media::essence(content_type);
    let payload = |ty: TokenStream| Payload {
        content_type: content_type.to_string(),
        range: None,
        variants: Vec::new(),
        ty,
        schema: None,
    };
    if essence.contains('*') {
        if essence == "image/*" {
            return match &media.schema {
                Some(ReferenceOr::Item(schema)) if is_binary(&schema.schema_kind) => {
                    Ok(payload(quote! { ImageBytes }))
                }
                _ => Err(SpecError::new(
                    location,
                    "an `image/*` response must be `type: string, format: binary` \
                     (the handler names the exact type)",
                )),
            };
        }
        if !crate::media::is_range(&essence) {
            return Err(SpecError::new(
                location,
                "a media range is `*/*` or `type/*`",
            ));
        }
        let base = format!(
            "{}Body",
            convert(&essence.replace('*', "any"), Case::Type, "Media")
        );
        let ident = spec.names.late_type(
            ("media range", essence.clone(), String::new()),
            &base,
            location,
        )?;
        return Ok(Payload {
            range: Some((essence, ident.clone())),
            ..payload(quote! { #ident })
        });
    }
    let is_json = crate::media::is_json(content_type);
    let is_text = crate::media::is_text(content_type);
    let binary = quote! { poem_openapi::payload::Binary<Vec<u8>> };
    let text = quote! { poem_openapi::payload::PlainText<String> };
    match &media.schema {
        // No schema: any document of the media type.
        None if is_json => Ok(payload(quote! { Json<serde_json::Value> })),
        None if is_text => Ok(payload(text)),
        None => Ok(payload(binary)),
        Some(ReferenceOr::Reference { reference }) if is_json => {
            let ident = schema_ident(spec, reference, &schema_location)?;
            let name = crate::models::schema_ref_name(reference, &schema_location)?;
            Ok(Payload {
                schema: Some(name),
                ..payload(quote! { Json<#ident> })
            })
        }
        Some(ReferenceOr::Item(schema)) if is_binary(&schema.schema_kind) => Ok(payload(binary)),
        Some(ReferenceOr::Item(schema)) if is_json => {
            let ty = inline_type(spec, schema, &schema_location, name, extra)?;
            Ok(payload(quote! { Json<#ty> }))
        }
        // Text the handler writes as it is: XML, YAML, `text/*`.
        Some(_) if is_text => Ok(payload(text)),
        // Bytes of a media type that is neither JSON nor text: whatever the schema says of
        // them, the handler writes them as they are.
        Some(_) => {
            spec.warn(
                schema_location,
                "a body that is neither JSON nor text is bytes; its schema (not `type: \
                 string, format: binary`) is not checked",
            );
            Ok(payload(binary))
        }
    }
}

/// The content of a response with several media types: a variant per media type, the
/// handler picks one.
fn response_content_enum(
    ident: &proc_macro2::Ident,
    payloads: &[(proc_macro2::Ident, Payload)],
) -> TokenStream {
    let variants = payloads.iter().map(|(name, payload)| {
        let ty = &payload.ty;
        let content_type = content_type_attr(payload);
        let doc = format!(" `{}`", payload.content_type);
        quote! {
            #[doc = #doc]
            #content_type
            #name(#ty),
        }
    });
    quote! {
        /// The media types of one response; the handler picks one.
        #[derive(Debug, poem_openapi::ResponseContent)]
        pub enum #ident { #(#variants)* }
    }
}

/// `#[oai(content_type = ...)]` for a payload whose type does not set it itself.
fn content_type_attr(payload: &Payload) -> Option<TokenStream> {
    // JSON is the derives' default; a range's or `image/*`'s value names the exact type.
    (payload.content_type != "application/json"
        && payload.range.is_none()
        && payload.variants.is_empty()
        && payload.content_type != "image/*")
        .then(|| {
            let ct = &payload.content_type;
            quote! { #[oai(content_type = #ct)] }
        })
}

/// The variant name for a status: its reason phrase in UpperCamelCase.
pub fn status_variant(status: u16) -> String {
    let reason = match status {
        200 => "Ok",
        201 => "Created",
        202 => "Accepted",
        204 => "NoContent",
        301 => "MovedPermanently",
        302 => "Found",
        303 => "SeeOther",
        304 => "NotModified",
        307 => "TemporaryRedirect",
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        410 => "Gone",
        412 => "PreconditionFailed",
        413 => "PayloadTooLarge",
        415 => "UnsupportedMediaType",
        422 => "UnprocessableEntity",
        428 => "PreconditionRequired",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => return format!("Status{status}"),
    };
    reason.to_string()
}

/// The Rust items of every operation: response enums, tag traits and their adapters.
pub fn generate_operations(spec: &Spec, ops: &[Op]) -> Result<TokenStream> {
    let runtime = &spec.runtime;
    let security = crate::security::generate(spec, ops)?;
    let auth_of = |op: &Op| {
        ops.iter()
            .position(|o| std::ptr::eq(o, op))
            .and_then(|index| security.per_op[index].as_ref())
    };
    let mut items = vec![security.items.clone()];
    let firsts: Vec<&Op> = ops
        .iter()
        .enumerate()
        .filter(|(i, op)| !ops[..*i].iter().any(|o| o.handler == op.handler))
        .map(|(_, op)| op)
        .collect();
    items.extend(shared_response_types(spec, &firsts));
    items.extend(body_types(spec, &firsts));
    items.extend(simple_array_type(spec, &firsts));
    for op in &firsts {
        items.extend(op.extra.iter().cloned());
        items.push(response_enum(spec, op)?);
    }
    let mut tag_idents = Vec::new();
    for (index, tag) in spec.doc.tags.iter().enumerate() {
        let tag_ops: Vec<&Op> = ops.iter().filter(|op| op.tag == tag.name).collect();
        if tag_ops.is_empty() {
            continue;
        }
        let names = spec.names.tag(&tag.name, &format!("tags[{index}]"))?;
        let trait_ident = names.api.clone();
        let adapter_ident = names.adapter.clone();
        let methods = tag_ops
            .iter()
            .filter(|op| firsts.iter().any(|f| std::ptr::eq(*f, **op)))
            .map(|op| trait_method(op, ops, runtime, auth_of(op)));
        let mut adapters = Vec::new();
        for op in &tag_ops {
            adapters.push(adapter_method(spec, op, auth_of(op))?);
        }
        let trait_doc = doc_attr(Some(&format!(
            "The operations tagged `{}`{}",
            tag.name,
            tag.description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )));
        let adapter_doc = doc_attr(Some(&format!(
            "Routes the `{}` operations to a [`{trait_ident}`] implementation.",
            tag.name
        )));
        items.push(quote! {
            #trait_doc
            pub trait #trait_ident: Send + Sync + 'static {
                #(#methods)*
            }

            #adapter_doc
            pub struct #adapter_ident<T>(pub std::sync::Arc<T>);

            #[poem_openapi::OpenApi]
            impl<T: #trait_ident> #adapter_ident<T> {
                #(#adapters)*
            }
        });
        tag_idents.push((trait_ident, adapter_ident));
    }
    let bounds = tag_idents.iter().map(|(t, _)| t);
    let adapter_types = openapi_tuple(tag_idents.iter().map(|(_, a)| quote! { #a<I> }).collect());
    let adapter_values = openapi_tuple(
        tag_idents
            .iter()
            .map(|(_, a)| quote! { #a(std::sync::Arc::clone(&imp)) })
            .collect(),
    );
    items.push(quote! {
        /// Every tag's adapter, ready for `poem_openapi::OpenApiService::new`.
        pub type ApiAdapters<I> = #adapter_types;

        /// Wraps one implementation of every tag trait into the adapters that route to it.
        pub fn api_adapters<I: #(#bounds)+*>(imp: std::sync::Arc<I>) -> ApiAdapters<I> {
            #adapter_values
        }
    });
    Ok(quote! { #(#items)* })
}

/// Adapters (types or values) grouped as poem-openapi combines APIs: tuples of 2 to 16
/// (it has no 1-tuple and no longer ones), nested when there are more; one adapter alone.
fn openapi_tuple(mut items: Vec<TokenStream>) -> TokenStream {
    const WIDEST: usize = 16;
    if items.len() == 1 {
        return items.pop().expect("one adapter");
    }
    if items.len() > WIDEST {
        let groups: Vec<TokenStream> = items
            .chunks(WIDEST)
            .map(|group| openapi_tuple(group.to_vec()))
            .collect();
        return openapi_tuple(groups);
    }
    quote! { (#(#items),*) }
}

fn method_ident(op: &Op) -> proc_macro2::Ident {
    op.handler_ident.clone()
}

fn response_ident(op: &Op) -> proc_macro2::Ident {
    op.response_ident.clone()
}

fn op_doc(op: &Op) -> TokenStream {
    let mut text = op.summary.clone();
    if let Some(description) = &op.description {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(description.trim_end());
    }
    doc_attr(Some(&text))
}

fn trait_method(
    op: &Op,
    ops: &[Op],
    runtime: &syn::Path,
    auth: Option<&crate::security::OpAuth>,
) -> TokenStream {
    let ident = method_ident(op);
    let response = response_ident(op);
    let mut doc = op_doc(op);
    let routes: Vec<String> = ops
        .iter()
        .filter(|o| o.handler == op.handler)
        .map(|o| format!("`{} {}` ({})", o.method.to_uppercase(), o.path, o.id))
        .collect();
    let serves = format!("Serves {}.", routes.join(", "));
    doc.extend(doc_attr(Some(&format!("\n{serves}"))));
    let mut args = Vec::new();
    if let Some(auth) = auth {
        let ty = &auth.handler_ty;
        args.push(quote! { auth: #ty });
    }
    for param in &op.params {
        let name = &param.ident;
        let ty = &param.ty;
        if param.required || param.default.is_some() {
            args.push(quote! { #name: #ty });
        } else {
            args.push(quote! { #name: Option<#ty> });
        }
    }
    if let Some(body) = &op.body {
        let ty = handler_type(&body.kind, runtime);
        if body.required {
            args.push(quote! { body: #ty });
        } else {
            args.push(quote! { body: Option<#ty> });
        }
    }
    quote! {
        #doc
        fn #ident(&self, #(#args),*) -> impl std::future::Future<Output = #response> + Send;
    }
}

fn adapter_method(
    spec: &Spec,
    op: &Op,
    auth: Option<&crate::security::OpAuth>,
) -> Result<TokenStream> {
    let location = format!("paths.{}.{}", op.path, op.method);
    let ident = &op.adapter_ident;
    let handler = method_ident(op);
    let response = response_ident(op);
    let doc = op_doc(op);
    let poem_path = op
        .path
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => segment.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/");
    let method = &op.method;
    let op_id = &op.id;
    let tag = format!(
        "ApiTags::{}",
        spec.names
            .tag(&op.tag, &format!("{location}.tags"))?
            .variant
    );
    let deprecated = op.deprecated.then(|| quote! { , deprecated });
    let mut params = Vec::new();
    let mut call = Vec::new();
    if let Some(auth) = auth {
        let extractor = &auth.extractor;
        let take = &auth.take;
        let scopes = &auth.scopes_attr;
        params.push(quote! { #scopes auth: #extractor });
        call.push(take.clone());
    }
    let runtime = &spec.runtime;
    let mut statics = Vec::new();
    for param in op.params.iter().filter(|p| p.raw.is_some()) {
        if statics.is_empty() {
            params.push(quote! { request: &poem::Request });
        }
        let raw = param.raw.as_ref().expect("a raw parameter");
        let name = &param.name;
        let ident = format_ident!(
            "PARAMETER_{}",
            param
                .ident
                .to_string()
                .trim_start_matches("r#")
                .to_uppercase()
        );
        let location = format_ident!(
            "{}",
            match param.location {
                ParamIn::Path => "Path",
                ParamIn::Query => "Query",
                ParamIn::Header => "Header",
                ParamIn::Cookie => "Cookie",
            }
        );
        let style = format_ident!("{}", raw.style);
        let explode = raw.explode;
        let required = param.required;
        let pointer = &raw.pointer;
        // The keys an exploded query object must leave to the other parameters.
        let others = op
            .params
            .iter()
            .filter(|_| param.location == ParamIn::Query && raw.style == "Form")
            .filter(|p| p.location == ParamIn::Query && p.name != param.name)
            .map(|p| &p.name);
        statics.push(quote! {
            static #ident: #runtime::SpecParam = #runtime::SpecParam::new(#runtime::ParamSpec {
                name: #name,
                location: #runtime::ParamIn::#location,
                style: #runtime::ParamStyle::#style,
                explode: #explode,
                required: #required,
                pointer: #pointer,
                others: &[#(#others),*],
            });
        });
    }
    for param in &op.params {
        let name = &param.ident;
        let wire = &param.name;
        let ty = &param.ty;
        if param.raw.is_some() {
            let ident = format_ident!(
                "PARAMETER_{}",
                name.to_string().trim_start_matches("r#").to_uppercase()
            );
            call.push(match (&param.default, param.required) {
                (_, true) => quote! { #ident.read_required(request, &SPEC_DOCUMENT)? },
                (Some(default), false) => quote! {
                    #ident.read(request, &SPEC_DOCUMENT)?.unwrap_or_else(|| #default)
                },
                (None, false) => quote! { #ident.read(request, &SPEC_DOCUMENT)? },
            });
            continue;
        }
        let wrapper = match param.location {
            ParamIn::Path => quote! { poem_openapi::param::Path },
            ParamIn::Query => quote! { poem_openapi::param::Query },
            ParamIn::Header => quote! { poem_openapi::param::Header },
            ParamIn::Cookie => quote! { poem_openapi::param::Cookie },
        };
        let ty = match &param.simple_items {
            Some(item) => {
                let simple = simple_array_ident(spec);
                quote! { #simple<#item> }
            }
            None => quote! { #ty },
        };
        let full_ty = if param.required {
            quote! { #wrapper<#ty> }
        } else {
            quote! { #wrapper<Option<#ty>> }
        };
        let validators = if param.validators.is_empty() {
            quote! {}
        } else {
            let v = &param.validators;
            quote! { , validator(#(#v),*) }
        };
        let doc = doc_attr(param.description.as_deref());
        params.push(quote! {
            #doc
            #[oai(name = #wire #validators)] #name: #full_ty
        });
        match (&param.default, &param.simple_items) {
            (Some(default), _) => call.push(quote! { #name.0.unwrap_or_else(|| #default) }),
            (None, None) => call.push(quote! { #name.0 }),
            (None, Some(_)) if param.required => call.push(quote! { #name.0.0 }),
            (None, Some(_)) => call.push(quote! { #name.0.map(|items| items.0) }),
        }
    }
    if let Some(body) = &op.body {
        // The extractor, and how the handler's value is taken out of it.
        let (extractor, value) = body_extractor(&body.kind, op, &spec.runtime);
        if body.required {
            params.push(quote! { body: #extractor });
            call.push(quote! { body #value });
        } else {
            let optional = optional_body_ident(spec);
            params.push(quote! { body: #optional<#extractor> });
            call.push(quote! { body.0.map(|body| body #value) });
        }
    }
    let (output, answer) = match (has_range(op), statics.is_empty()) {
        (true, _) => (
            quote! { poem::Result<#response> },
            quote! { self.0.#handler(#(#call),*).await.check_status() },
        ),
        // A parameter the runtime refuses is answered before the handler runs.
        (false, false) => (
            quote! { poem::Result<#response> },
            quote! { Ok(self.0.#handler(#(#call),*).await) },
        ),
        (false, true) => (
            quote! { #response },
            quote! { self.0.#handler(#(#call),*).await },
        ),
    };
    Ok(quote! {
        #doc
        #[oai(path = #poem_path, method = #method, operation_id = #op_id, tag = #tag #deprecated)]
        async fn #ident(&self, #(#params),*) -> #output {
            #(#statics)*
            #answer
        }
    })
}

fn response_enum(spec: &Spec, op: &Op) -> Result<TokenStream> {
    let ident = response_ident(op);
    let runtime = &spec.runtime;
    let doc = doc_attr(Some(&format!("Every documented response of `{}`.", op.id)));
    let handler_name = &op.handler;
    let mut variants = Vec::new();
    let mut problem_arms = Vec::new();
    let mut internal_error = None;
    let mut range_arms = Vec::new();
    let mut range_checks = Vec::new();
    for variant in &op.responses {
        let name = &variant.ident;
        let vdoc = doc_attr(Some(&variant.description));
        let mut attrs = Vec::new();
        let mut fields = Vec::new();
        match variant.status {
            Status::Code(code) => {
                let status = proc_macro2::Literal::u16_unsuffixed(code);
                attrs.push(quote! { status = #status });
            }
            Status::Range(hundred) => {
                let range = format!("{hundred}XX");
                attrs.push(quote! { status_range = #range });
                fields.push(quote! { poem::http::StatusCode });
                let hundred = proc_macro2::Literal::u16_unsuffixed(hundred);
                let message = format!("`{}` answered {{}} as its {range} response", op.id);
                range_checks.push(quote! {
                    Self::#name(status, ..) if status.as_u16() / 100 != #hundred => {
                        Err(poem::Error::from_string(
                            format!(#message, status.as_u16()),
                            poem::http::StatusCode::INTERNAL_SERVER_ERROR,
                        ))
                    }
                });
            }
            Status::Default => fields.push(quote! { poem::http::StatusCode }),
        }
        if let Some(payload) = &variant.payload
            && content_type_attr(payload).is_some()
        {
            let ct = &payload.content_type;
            attrs.push(quote! { content_type = #ct });
        }
        match &variant.payload {
            Some(payload) => {
                let ty = &payload.ty;
                fields.push(quote! { #ty });
            }
            // The derive reads a `default` variant's second field as its content.
            None if variant.status == Status::Default => {
                let no_body = no_body_ident(spec);
                fields.push(quote! { #no_body });
            }
            None => {}
        }
        let mut header_values = Vec::new();
        for header in &variant.headers {
            let name = &header.name;
            let ty = &header.ty;
            let ty = if header.required {
                quote! { #ty }
            } else {
                quote! { Option<#ty> }
            };
            fields.push(quote! { #[oai(header = #name)] #ty });
            header_values.push(problem_header_value(runtime, &header.name, header.required));
        }
        let fields = if fields.is_empty() {
            quote! {}
        } else {
            quote! { (#(#fields),*) }
        };
        let attrs = if attrs.is_empty() {
            quote! {}
        } else {
            quote! { #[oai(#(#attrs),*)] }
        };
        variants.push(quote! {
            #vdoc
            #attrs
            #name #fields,
        });
        let is_problem = variant
            .payload
            .as_ref()
            .is_some_and(|p| p.schema.is_some() && p.schema == spec.problem_schema);
        if is_problem && header_values.iter().all(Option::is_some) {
            let values = header_values.into_iter().flatten();
            match variant.status {
                Status::Code(code) => {
                    let construct = quote! { Self::#name(Json(problem) #(, #values)*) };
                    if code == 500 {
                        internal_error = Some(construct.clone());
                    }
                    let status = proc_macro2::Literal::u16_unsuffixed(code);
                    problem_arms.push(quote! { #status => #construct, });
                }
                Status::Range(hundred) => {
                    let hundred = proc_macro2::Literal::u16_unsuffixed(hundred);
                    range_arms.push(quote! {
                        status if status / 100 == #hundred => match poem::http::StatusCode::from_u16(status) {
                            Ok(code) => Self::#name(code, Json(problem) #(, #values)*),
                            Err(_) => Self::from_problem(#runtime::Failure::from(
                                #runtime::UndocumentedProblem::undocumented(#handler_name, problem),
                            )),
                        },
                    });
                }
                Status::Default => {}
            }
        }
    }
    problem_arms.extend(range_arms);
    let check_status = (!range_checks.is_empty()).then(|| {
        quote! {
            impl #ident {
                /// This answer, or a 500 when a ranged variant carries a status outside
                /// its range (a bug in the handler).
                pub fn check_status(self) -> poem::Result<Self> {
                    match &self {
                        #(#range_checks)*
                        _ => Ok(self),
                    }
                }
            }
        }
    });
    let problem = match &spec.problem_schema {
        Some(name) if internal_error.is_some() => {
            Some(spec.names.schema(name, "(options.problem_schema)")?)
        }
        _ => None,
    };
    let from_problem = internal_error.zip(problem).map(|(internal, problem)| {
        quote! {
            impl #ident {
                /// Answers with the problem's status when this operation documents it;
                /// any other status is a bug in the handler and becomes a 500.
                pub fn from_problem(failure: impl Into<#runtime::Failure<#problem>>) -> Self {
                    let failure = failure.into();
                    let problem = failure.problem;
                    match problem.status as u16 {
                        #(#problem_arms)*
                        _ => {
                            let problem = #runtime::UndocumentedProblem::undocumented(#handler_name, problem);
                            #internal
                        }
                    }
                }
            }
        }
    });
    Ok(quote! {
        #doc
        #[derive(Debug, poem_openapi::ApiResponse)]
        pub enum #ident { #(#variants)* }

        #from_problem
        #check_status
    })
}

/// A JSON media type other than `application/json` (`merge-patch+json`): the body is
/// read as `SpecJson` reads it, under that `Content-Type`.
fn json_media_type(media: &proc_macro2::Ident, essence: &str) -> TokenStream {
    let doc = format!(" A `{essence}` request body, read and checked as JSON.");
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq)]
        pub struct #media<T>(pub T);

        impl<T: poem_openapi::types::Type> poem_openapi::payload::Payload for #media<T> {
            const CONTENT_TYPE: &'static str = #essence;

            fn check_content_type(content_type: &str) -> bool {
                content_type
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .eq_ignore_ascii_case(#essence)
            }

            fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
                T::schema_ref()
            }

            fn register(registry: &mut poem_openapi::registry::Registry) {
                T::register(registry);
            }
        }

        impl<T: poem_openapi::types::Type> poem_openapi::payload::ParsePayload for #media<T>
        where
            SpecJson<T>: poem_openapi::payload::ParsePayload,
        {
            const IS_REQUIRED: bool = true;

            fn from_request(
                request: &poem::Request,
                body: &mut poem::RequestBody,
            ) -> impl std::future::Future<Output = poem::Result<Self>> + Send {
                let read = <SpecJson<T> as poem_openapi::payload::ParsePayload>::from_request(
                    request, body,
                );
                async move { read.await.map(|json| Self(json.0)) }
            }
        }

        impl<'a, T: poem_openapi::types::Type> poem_openapi::ApiExtractor<'a> for #media<T>
        where
            SpecJson<T>: poem_openapi::payload::ParsePayload,
        {
            const TYPES: &'static [poem_openapi::ApiExtractorType] =
                &[poem_openapi::ApiExtractorType::RequestObject];
            type ParamType = ();
            type ParamRawType = ();

            fn register(registry: &mut poem_openapi::registry::Registry) {
                <Self as poem_openapi::payload::Payload>::register(registry);
            }

            fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
                Some(poem_openapi::registry::MetaRequest {
                    description: None,
                    content: vec![poem_openapi::registry::MetaMediaType {
                        content_type: #essence,
                        schema: <Self as poem_openapi::payload::Payload>::schema_ref(),
                    }],
                    required: true,
                })
            }

            fn from_request(
                request: &'a poem::Request,
                body: &mut poem::RequestBody,
                _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
            ) -> impl std::future::Future<Output = poem::Result<Self>> + Send {
                use poem_openapi::payload::{ParsePayload, Payload};
                let read = match request.content_type() {
                    Some(content_type) if Self::check_content_type(content_type) => {
                        Ok(<Self as ParsePayload>::from_request(request, body))
                    }
                    Some(content_type) => {
                        Err(poem_openapi::error::ContentTypeError::NotSupported {
                            content_type: content_type.to_string(),
                        })
                    }
                    None => Err(poem_openapi::error::ContentTypeError::ExpectContentType),
                };
                async move {
                    match read {
                        Ok(read) => read.await,
                        Err(error) => Err(error.into()),
                    }
                }
            }
        }
    }
}

/// A request body of one media type taken as it comes: text (`String`, refused with a
/// 400 when it is not UTF-8) or bytes with their media type, read under the body limit.
fn raw_body_type(spec: &Spec, raw: &proc_macro2::Ident, essence: &str, text: bool) -> TokenStream {
    let runtime = &spec.runtime;
    let check = if essence == "*/*" {
        quote! { !essence.is_empty() }
    } else if let Some(kind) = essence.strip_suffix('*') {
        quote! { essence.starts_with(#kind) }
    } else {
        quote! { essence == #essence }
    };
    let (doc, fields, schema, build) = if text {
        (
            format!(" A `{essence}` request body, as text."),
            quote! { (pub String); },
            quote! { poem_openapi::registry::MetaSchema::new("string") },
            quote! {
                String::from_utf8(bytes.to_vec()).map(Self).map_err(|_| {
                    poem::Error::from_string(
                        "The body is not UTF-8 text.",
                        poem::http::StatusCode::BAD_REQUEST,
                    )
                })
            },
        )
    } else {
        (
            format!(" A `{essence}` request body, as bytes with their media type."),
            quote! {
                {
                    pub content_type: String,
                    pub bytes: Vec<u8>,
                }
            },
            quote! { poem_openapi::registry::MetaSchema::new_with_format("string", "binary") },
            quote! {
                Ok(Self {
                    content_type: request.content_type().unwrap_or_default().to_string(),
                    bytes: bytes.to_vec(),
                })
            },
        )
    };
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct #raw #fields

        impl poem_openapi::payload::Payload for #raw {
            const CONTENT_TYPE: &'static str = #essence;

            fn check_content_type(content_type: &str) -> bool {
                let essence = content_type
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase();
                #check
            }

            fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
                poem_openapi::registry::MetaSchemaRef::Inline(Box::new(#schema))
            }
        }

        impl poem_openapi::payload::ParsePayload for #raw {
            const IS_REQUIRED: bool = true;

            async fn from_request(
                request: &poem::Request,
                body: &mut poem::RequestBody,
            ) -> poem::Result<Self> {
                let limit = request
                    .data::<#runtime::BodyLimit>()
                    .map_or(usize::MAX, |limit| limit.0);
                let bytes = body.take()?.into_bytes_limit(limit).await.map_err(|error| {
                    match error {
                        poem::error::ReadBodyError::PayloadTooLarge => {
                            poem::Error::from(#runtime::body_too_large(limit))
                        }
                        error => poem::Error::from(error),
                    }
                })?;
                #build
            }
        }

        impl<'a> poem_openapi::ApiExtractor<'a> for #raw {
            const TYPES: &'static [poem_openapi::ApiExtractorType] =
                &[poem_openapi::ApiExtractorType::RequestObject];
            type ParamType = ();
            type ParamRawType = ();

            fn register(registry: &mut poem_openapi::registry::Registry) {
                <Self as poem_openapi::payload::Payload>::register(registry);
            }

            fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
                Some(poem_openapi::registry::MetaRequest {
                    description: None,
                    content: vec![poem_openapi::registry::MetaMediaType {
                        content_type: #essence,
                        schema: <Self as poem_openapi::payload::Payload>::schema_ref(),
                    }],
                    required: true,
                })
            }

            async fn from_request(
                request: &'a poem::Request,
                body: &mut poem::RequestBody,
                _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
            ) -> poem::Result<Self> {
                use poem_openapi::payload::{ParsePayload, Payload};
                match request.content_type() {
                    Some(content_type) if Self::check_content_type(content_type) => {
                        <Self as ParsePayload>::from_request(request, body).await
                    }
                    Some(content_type) => Err(poem_openapi::error::ContentTypeError::NotSupported {
                        content_type: content_type.to_string(),
                    }
                    .into()),
                    None => Err(poem_openapi::error::ContentTypeError::ExpectContentType.into()),
                }
            }
        }
    }
}

/// The two enums of a request body with several media types: the one the handler gets,
/// and the one poem-openapi reads by `Content-Type`.
fn several_types(
    spec: &Spec,
    op: &Op,
    content: &proc_macro2::Ident,
    payload: &proc_macro2::Ident,
    variants: &[(proc_macro2::Ident, String, BodyKind)],
) -> TokenStream {
    let runtime = &spec.runtime;
    let mut content_variants = Vec::new();
    let mut payload_variants = Vec::new();
    let mut arms = Vec::new();
    for (name, content_type, kind) in variants {
        let ty = handler_type(kind, runtime);
        let (extractor, value) = body_extractor(kind, op, runtime);
        let doc = format!(" `{content_type}`");
        content_variants.push(quote! { #[doc = #doc] #name(#ty), });
        payload_variants.push(quote! { #name(#extractor), });
        arms.push(quote! { #payload::#name(body) => Self::#name(body #value), });
    }
    let content_doc = format!(" The request body of `{}`, by its media type.", op.id);
    let payload_doc = format!(
        " Reads the request body of `{}` by its `Content-Type`.",
        op.id
    );
    quote! {
        #[doc = #content_doc]
        #[derive(Debug)]
        pub enum #content { #(#content_variants)* }

        #[doc = #payload_doc]
        #[derive(poem_openapi::ApiRequest)]
        pub enum #payload { #(#payload_variants)* }

        impl From<#payload> for #content {
            fn from(payload: #payload) -> Self {
                match payload { #(#arms)* }
            }
        }
    }
}

/// The comma-separated extractor of `simple` arrays in the path or a header.
fn simple_array_ident(spec: &Spec) -> proc_macro2::Ident {
    spec.names
        .late_type(
            ("helper", "simple array".to_string(), String::new()),
            "SimpleArray",
            "(generated code)",
        )
        .expect("a late type name is always found")
}

/// The extractor of `simple` arrays (`a,b,c`), when an operation has one.
fn simple_array_type(spec: &Spec, ops: &[&Op]) -> Option<TokenStream> {
    if !ops
        .iter()
        .any(|op| op.params.iter().any(|p| p.simple_items.is_some()))
    {
        return None;
    }
    let ident = simple_array_ident(spec);
    Some(quote! {
        /// A `simple` array parameter (`a,b,c` in the path or a header): the items
        /// between the commas, each read as `T`.
        #[derive(Debug, Clone, PartialEq)]
        pub struct #ident<T>(pub Vec<T>);

        impl<T: poem_openapi::types::Type> poem_openapi::types::Type for #ident<T> {
            const IS_REQUIRED: bool = true;
            type RawValueType = Vec<T>;
            type RawElementValueType = <Vec<T> as poem_openapi::types::Type>::RawElementValueType;

            fn name() -> std::borrow::Cow<'static, str> {
                <Vec<T> as poem_openapi::types::Type>::name()
            }

            fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
                <Vec<T> as poem_openapi::types::Type>::schema_ref()
            }

            fn register(registry: &mut poem_openapi::registry::Registry) {
                <Vec<T> as poem_openapi::types::Type>::register(registry);
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(&self.0)
            }

            fn raw_element_iter<'a>(
                &'a self,
            ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                poem_openapi::types::Type::raw_element_iter(&self.0)
            }
        }

        impl<T: poem_openapi::types::ParseFromParameter> poem_openapi::types::ParseFromParameter
            for #ident<T>
        {
            fn parse_from_parameter(value: &str) -> poem_openapi::types::ParseResult<Self> {
                Self::parse_from_parameters(std::iter::once(value))
            }

            fn parse_from_parameters<I: IntoIterator<Item = A>, A: AsRef<str>>(
                iter: I,
            ) -> poem_openapi::types::ParseResult<Self> {
                let mut items = Vec::new();
                // A header given twice holds two lists.
                for value in iter {
                    for item in value.as_ref().split(',') {
                        items.push(
                            T::parse_from_parameter(item.trim())
                                .map_err(poem_openapi::types::ParseError::propagate)?,
                        );
                    }
                }
                Ok(Self(items))
            }
        }
    })
}

/// The extractor of an optional request body.
fn optional_body_ident(spec: &Spec) -> proc_macro2::Ident {
    spec.names
        .late_type(
            ("helper", "optional body".to_string(), String::new()),
            "OptionalBody",
            "(generated code)",
        )
        .expect("a late type name is always found")
}

/// The types request bodies need: a wrapper per inline JSON schema, bound to its place
/// in the spec, and the extractor of optional bodies.
fn body_types(spec: &Spec, ops: &[&Op]) -> Vec<TokenStream> {
    let mut items = Vec::new();
    let mut raw_seen = std::collections::HashSet::new();
    for op in ops {
        let Some(body) = &op.body else { continue };
        let kinds: Vec<&BodyKind> = match &body.kind {
            BodyKind::Several {
                content,
                payload,
                variants,
            } => {
                items.push(several_types(spec, op, content, payload, variants));
                variants.iter().map(|(_, _, kind)| kind).collect()
            }
            kind => vec![kind],
        };
        let kinds: Vec<&BodyKind> = kinds
            .into_iter()
            .flat_map(|kind| match kind {
                BodyKind::OtherJson {
                    media,
                    essence,
                    json,
                } => {
                    if raw_seen.insert(media.to_string()) {
                        items.push(json_media_type(media, essence));
                    }
                    vec![kind, &**json]
                }
                kind => vec![kind],
            })
            .collect();
        for kind in kinds {
            match kind {
                BodyKind::InlineJson {
                    ty,
                    wrapper,
                    pointer,
                } => {
                    let doc =
                        format!(" The request body at `{pointer}`, checked against that schema.");
                    items.push(quote! {
                        #[doc = #doc]
                        #[derive(Debug, Clone, PartialEq, poem_openapi::NewType)]
                        #[oai(from_parameter = false, from_multipart = false, to_header = false)]
                        pub struct #wrapper(pub #ty);

                        impl SpecSchema for #wrapper {
                            const POINTER: &'static str = #pointer;

                            fn spec() -> &'static SpecDocument {
                                &SPEC_DOCUMENT
                            }
                        }
                    });
                }
                BodyKind::Multipart { ty, items: types } if raw_seen.insert(ty.to_string()) => {
                    items.extend(types.iter().cloned());
                }
                BodyKind::Text { raw, essence } | BodyKind::Bytes { raw, essence }
                    if raw_seen.insert(raw.to_string()) =>
                {
                    items.push(raw_body_type(
                        spec,
                        raw,
                        essence,
                        matches!(kind, BodyKind::Text { .. }),
                    ));
                }
                _ => {}
            }
        }
    }
    if ops
        .iter()
        .any(|op| op.body.as_ref().is_some_and(|b| !b.required))
    {
        let ident = optional_body_ident(spec);
        items.push(quote! {
            /// An optional request body: `None` when the request has neither a
            /// `Content-Type` nor any bytes, a 415 for bytes without a `Content-Type`;
            /// read by `P` otherwise.
            pub struct #ident<P>(pub Option<P>);

            impl<'a, P: poem_openapi::ApiExtractor<'a>> poem_openapi::ApiExtractor<'a> for #ident<P> {
                const TYPES: &'static [poem_openapi::ApiExtractorType] = P::TYPES;
                type ParamType = P::ParamType;
                type ParamRawType = P::ParamRawType;

                fn register(registry: &mut poem_openapi::registry::Registry) {
                    P::register(registry);
                }

                fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
                    P::request_meta().map(|mut meta| {
                        meta.required = false;
                        meta
                    })
                }

                fn from_request(
                    request: &'a poem::Request,
                    body: &mut poem::RequestBody,
                    param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
                ) -> impl std::future::Future<Output = poem::Result<Self>> + Send {
                    // With a `Content-Type`, `P` reads the body; without one, the body
                    // must be empty (HTTP/2 need not send a `Content-Length`).
                    let next = match request.content_type() {
                        Some(_) => Ok(P::from_request(request, body, param_opts)),
                        None => Err(body.take()),
                    };
                    async move {
                        match next {
                            Ok(read) => read.await.map(|p| Self(Some(p))),
                            Err(rest) => match rest?.into_bytes_limit(0).await {
                                Ok(_) => Ok(Self(None)),
                                Err(_) => Err(poem_openapi::error::ContentTypeError::ExpectContentType.into()),
                            },
                        }
                    }
                }
            }
        });
    }
    items
}

/// The content of a `default` response the spec gives no content.
fn no_body_ident(spec: &Spec) -> proc_macro2::Ident {
    spec.names
        .late_type(
            ("helper", "no body".to_string(), String::new()),
            "NoBody",
            "(generated code)",
        )
        .expect("a late type name is always found")
}

/// Whether an operation has a ranged response, whose status the adapter checks.
fn has_range(op: &Op) -> bool {
    op.responses
        .iter()
        .any(|r| matches!(r.status, Status::Range(_)))
}

/// The types shared by the operations' responses: the content of a `default` response
/// without content, and one type per media range answered (the value names the exact
/// media type).
fn shared_response_types(spec: &Spec, ops: &[&Op]) -> Vec<TokenStream> {
    let mut items = Vec::new();
    let variants = || ops.iter().flat_map(|op| &op.responses);
    if variants().any(|v| v.status == Status::Default && v.payload.is_none()) {
        let ident = no_body_ident(spec);
        items.push(quote! {
            /// No content: a `default` response the spec documents without a body.
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub struct #ident;

            impl poem::IntoResponse for #ident {
                fn into_response(self) -> poem::Response {
                    poem::Response::default()
                }
            }

            impl poem_openapi::ResponseContent for #ident {
                fn media_types() -> Vec<poem_openapi::registry::MetaMediaType> {
                    Vec::new()
                }
            }
        });
    }
    let mut seen = std::collections::HashSet::new();
    let payloads = variants()
        .filter_map(|v| v.payload.as_ref())
        .flat_map(|p| std::iter::once(p).chain(p.variants.iter().map(|(_, p)| p)));
    for (range, ident) in payloads.filter_map(|p| p.range.as_ref()) {
        if !seen.insert(ident.to_string()) {
            continue;
        }
        let doc = format!(" A `{range}` answer: the value names its exact media type.");
        let (body, schema) = if range == "text/*" {
            (
                quote! { String },
                quote! { poem_openapi::registry::MetaSchema::new("string") },
            )
        } else {
            (
                quote! { Vec<u8> },
                quote! { poem_openapi::registry::MetaSchema::new_with_format("string", "binary") },
            )
        };
        items.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, PartialEq, Eq)]
            pub struct #ident {
                pub content_type: String,
                pub body: #body,
            }

            impl poem_openapi::payload::Payload for #ident {
                const CONTENT_TYPE: &'static str = #range;

                fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
                    poem_openapi::registry::MetaSchemaRef::Inline(Box::new(#schema))
                }
            }

            impl poem::IntoResponse for #ident {
                fn into_response(self) -> poem::Response {
                    poem::Response::builder()
                        .content_type(self.content_type)
                        .body(self.body)
                }
            }
        });
    }
    items
}

/// How `from_problem` fills a header of a problem response, or None when it cannot.
fn problem_header_value(
    runtime: &impl quote::ToTokens,
    name: &str,
    required: bool,
) -> Option<TokenStream> {
    let value = if name.eq_ignore_ascii_case("WWW-Authenticate") {
        quote! { "Bearer".to_string() }
    } else if name.eq_ignore_ascii_case("Retry-After") {
        quote! { #runtime::retry_after(failure.retry_after_secs) }
    } else {
        return (!required).then(|| quote! { None });
    };
    Some(if required {
        value
    } else {
        quote! { Some(#value) }
    })
}
