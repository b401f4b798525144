//! Reading the spec's paths into [`Op`]s: every check and every name is decided here.

mod bodies;
mod param_checks;
mod params;
pub(super) mod responses;

use openapiv3::{Operation, Parameter, ReferenceOr};

use super::{Body, BodyKind, Op, ParamIn, negotiates};
use crate::Spec;
use crate::error::{Result, SpecError};
use crate::models::pointer_token;
use crate::names::{Case, Namer, convert, fallback};
use bodies::read_body;
use params::{param_in, read_param};
use responses::read_responses;

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
            let params = listed_parameters(spec, path, method, item, op)?;
            ops.push(read_operation(
                spec,
                path,
                method,
                op,
                &params,
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

/// A parameter as an operation lists it: from its path item or its own list.
struct Listed<'a> {
    param: &'a ReferenceOr<Parameter>,
    /// Where it is in the spec, as a JSON pointer: its component, or its place in the
    /// path item's or the operation's list.
    pointer: String,
    /// Where it is in the spec, for errors.
    location: String,
}

/// The parameters of `op`: the path item's, less those the operation redefines (the
/// same name in the same place, which OpenAPI says the operation's overrides), then the
/// operation's own.
fn listed_parameters<'a>(
    spec: &'a Spec,
    path: &str,
    method: &str,
    item: &'a openapiv3::PathItem,
    op: &'a Operation,
) -> Result<Vec<Listed<'a>>> {
    let path_token = pointer_token(path);
    let listed = |param: &'a ReferenceOr<Parameter>, pointer: String, location: String| {
        let pointer = match param {
            ReferenceOr::Reference { reference } => reference.trim_start_matches('#').to_string(),
            ReferenceOr::Item(_) => pointer,
        };
        Listed {
            param,
            pointer,
            location,
        }
    };
    let mut own = Vec::new();
    for (index, param) in op.parameters.iter().enumerate() {
        let location = format!("paths.{path}.{method}.parameters[{index}]");
        let resolved = spec.resolve_parameter(param, &location)?;
        own.push((
            resolved.parameter_data_ref().name.clone(),
            param_in(resolved),
        ));
    }
    let mut params = Vec::new();
    for (index, param) in item.parameters.iter().enumerate() {
        let location = format!("paths.{path}.parameters[{index}]");
        let resolved = spec.resolve_parameter(param, &location)?;
        let key = (
            resolved.parameter_data_ref().name.clone(),
            param_in(resolved),
        );
        if !own.contains(&key) {
            let pointer = format!("/paths/{path_token}/parameters/{index}");
            params.push(listed(param, pointer, location));
        }
    }
    for (index, param) in op.parameters.iter().enumerate() {
        let pointer = format!("/paths/{path_token}/{method}/parameters/{index}");
        let location = format!("paths.{path}.{method}.parameters[{index}]");
        params.push(listed(param, pointer, location));
    }
    Ok(params)
}

fn read_operation(
    spec: &Spec,
    path: &str,
    method: &str,
    op: &Operation,
    params: &[Listed<'_>],
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
    for (index, listed) in params.iter().enumerate() {
        let param = spec.resolve_parameter(listed.param, &listed.location)?;
        read_params.push(read_param(
            spec,
            &handler,
            index,
            param,
            &listed.pointer,
            &listed.location,
            &mut extra,
        )?);
    }
    read_params.sort_by_key(|p| p.location);
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
    // Arguments sit beside `auth`, `body` and, where the handler chooses among media
    // types, `accept`, in the trait method and the adapter.
    let reserved: &[&str] = if negotiates(&responses) {
        &["accept", "auth", "body", "request"]
    } else {
        &["auth", "body", "request"]
    };
    let mut arguments = Namer::with_reserved(reserved);
    for (index, param) in read_params.iter_mut().enumerate() {
        let name = arguments.name(
            &param.name,
            Case::Value,
            &fallback(&param.name, index, Case::Value),
        );
        param.ident = crate::names::ident(&name, &format!("{location}.parameters"))?;
    }
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

/// What must be identical for two operations to share one handler.
fn signature(op: &Op) -> Vec<(&'static str, String)> {
    let params = op
        .params
        .iter()
        .map(|p| {
            let default = p.default.as_ref().map(ToString::to_string);
            format!(
                "{}:{:?}:{}:{}:{default:?}:{:?}",
                p.name, p.location as u8, p.ty, p.required, p.validators
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
        BodyKind::Form { ty, .. } => format!("form {ty}"),
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

/// The variant of one media type among several on a request body or a response: the
/// media type's name, with `any` for a `*`.
fn media_variant(
    names: &mut Namer,
    content_type: &str,
    index: usize,
    location: &str,
) -> Result<proc_macro2::Ident> {
    let essence = crate::media::essence(content_type).replace('*', "any");
    let name = names.name(&essence, Case::Type, &fallback(&essence, index, Case::Type));
    crate::names::ident(&name, &format!("{location}.content"))
}

/// A media type or range (`*` read as `any`) as the start of a type name.
fn media_type_name(essence: &str) -> String {
    convert(&essence.replace('*', "any"), Case::Type, "Media")
}
