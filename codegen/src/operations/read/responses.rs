//! Reading an operation's responses: a [`Variant`] per documented status.

use openapiv3::{
    Header, MediaType, Operation, ParameterSchemaOrContent, ReferenceOr, Response, SchemaKind,
    StatusCode, Type,
};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{media_type_name, media_variant};
use crate::Spec;
use crate::error::{Result, SpecError};
use crate::models::is_binary;
use crate::models::{EnumName, inline_type, schema_ident};
use crate::names::{Case, Namer, convert};
use crate::operations::emit::response_content_enum;
use crate::operations::{
    ERROR_FORMAT, OAUTH2_ERROR_FORMAT, Payload, ResponseHeader, Status, Variant,
};

pub(super) fn read_responses(
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
        let variant = media_variant(&mut names, content_type, index, location)?;
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
        let base = format!("{}Body", media_type_name(&essence));
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
