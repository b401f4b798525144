//! Reading an operation's parameters: the ones poem-openapi's extractors read, and the
//! ones the runtime's `SpecParam` reads from the raw request.

use openapiv3::{
    MediaType, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind, StringType,
    Type,
};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::param_checks::{check_array_param, param_pattern, param_validators};
use crate::Spec;
use crate::error::{Result, SpecError};
use crate::models::pointer_token;
use crate::models::{EnumName, inline_type, schema_ident};
use crate::names::{Case, convert, fallback};
use crate::operations::{Param, ParamIn, RawParam, Validator};

/// Where a parameter is sent.
pub(super) fn param_in(param: &Parameter) -> ParamIn {
    match param {
        Parameter::Path { .. } => ParamIn::Path,
        Parameter::Query { .. } => ParamIn::Query,
        Parameter::Header { .. } => ParamIn::Header,
        Parameter::Cookie { .. } => ParamIn::Cookie,
    }
}

pub(super) fn read_param(
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
    let enum_name = param_naming(op_id, index, param);
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
            validators.push(Validator::MaxItems(max));
        }
        if let Some(min) = array.min_items {
            validators.push(Validator::MinItems(min));
        }
        if array.unique_items {
            validators.push(Validator::UniqueItems);
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
        let key = ("pattern", op_id.to_string(), enum_name.key.2.clone());
        let (item, validator) =
            param_pattern(spec, key, &enum_name.base, pattern, &schema_location)?;
        extra.push(item);
        validators.push(validator);
    }
    let default = optional_default(data.required, schema, &ty, &schema_location)?;
    Ok(Param {
        default,
        validators,
        simple_items,
        ..new_param(param, location_kind, ty)
    })
}

/// How the types a parameter's inline schema needs are named: keyed by the handler, the
/// parameter's place and name, so that operations sharing a handler share its types.
fn param_naming(op_id: &str, index: usize, param: &Parameter) -> EnumName {
    let data = param.parameter_data_ref();
    EnumName {
        key: (
            "parameter",
            op_id.to_string(),
            format!("{:?}:{}", param_in(param) as u8, data.name),
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
    }
}

/// A parameter of type `ty` with its name, place and description, and nothing else yet.
fn new_param(param: &Parameter, location: ParamIn, ty: TokenStream) -> Param {
    let data = param.parameter_data_ref();
    Param {
        name: data.name.clone(),
        // Named with its neighbours once every parameter is read.
        ident: format_ident!("unnamed"),
        location,
        ty,
        required: data.required,
        default: None,
        validators: Vec::new(),
        description: data.description.clone(),
        simple_items: None,
        raw: None,
    }
}

/// The default of a parameter the generated extractors read: refused when it does not
/// fit the type, and dropped for a required parameter, which is always given.
fn optional_default(
    required: bool,
    schema: &Schema,
    ty: &TokenStream,
    location: &str,
) -> Result<Option<TokenStream>> {
    let default = match &schema.schema_data.default {
        None => None,
        Some(value) => Some(default_literal(value, ty, schema, location)?),
    };
    Ok(default.filter(|_| !required))
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
    Param {
        default,
        raw: Some(raw),
        ..new_param(param, location, ty)
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
            let enum_name = param_naming(op_id, index, param);
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
    let ident = schema_ident(spec, reference, &schema_location)?;
    let Some(schema) = component_string_enum(spec, reference) else {
        return Err(SpecError::new(
            schema_location,
            "a `$ref` parameter schema must name a component string enum; \
             write other schemas inline",
        ));
    };
    let ty = quote! { #ident };
    let default = optional_default(data.required, schema, &ty, &schema_location)?;
    Ok(Param {
        default,
        ..new_param(param, location_kind, ty)
    })
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
