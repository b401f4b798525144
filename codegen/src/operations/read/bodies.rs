//! Reading a request body: a [`BodyKind`] per media type, several under one enum.

use openapiv3::{MediaType, ReferenceOr, RequestBody, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::quote;

use super::{media_type_name, media_variant};
use crate::Spec;
use crate::error::{Result, SpecError};
use crate::models::{EnumName, inline_type, multipart_struct, schema_ident};
use crate::models::{is_binary, pointer_token};
use crate::names::{Case, Namer, convert};
use crate::operations::{Body, BodyKind};

pub(super) fn read_body(
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
                let ident = media_variant(&mut names, content_type, index, location)?;
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
                let name = inline_body_naming(handler, content_type, &type_name);
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
        let form = |ty: TokenStream| -> Result<BodyKind> {
            let schema = spec.names.late_type(
                (
                    "request body",
                    handler.to_string(),
                    format!("form {content_type}"),
                ),
                &format!("{type_name}Form"),
                location,
            )?;
            let media = format!("{pointer}/content/{}", pointer_token(content_type));
            Ok(BodyKind::Form { ty, schema, media })
        };
        return match &media.schema {
            Some(ReferenceOr::Reference { reference }) => {
                let ident = schema_ident(spec, reference, &media_location)?;
                form(quote! { #ident })
            }
            Some(ReferenceOr::Item(schema))
                if matches!(schema.schema_kind, SchemaKind::Type(Type::Object(_))) =>
            {
                let name = inline_body_naming(handler, content_type, &type_name);
                let ty = inline_type(spec, schema, &media_location, &name, extra)?;
                form(ty)
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
    let base = format!("{}{suffix}", media_type_name(&essence));
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
            let naming = inline_body_naming(handler, content_type, &type_name);
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

/// How an inline request body schema of `handler` in `content_type` is named:
/// `{OperationId}Request`.
fn inline_body_naming(handler: &str, content_type: &str, type_name: &str) -> EnumName {
    EnumName {
        key: (
            "request body",
            handler.to_string(),
            content_type.to_string(),
        ),
        base: format!("{type_name}Request"),
    }
}
