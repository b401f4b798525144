//! What a parameter's schema may say for the generated extractors to read it as the spec
//! means it, and the validators its keywords become.

use openapiv3::{Parameter, ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty};
use proc_macro2::TokenStream;
use quote::quote;

use crate::Spec;
use crate::error::{Result, SpecError};
use crate::names::{Case, convert};
use crate::operations::Validator;

/// An array parameter the generated extractors read as the spec means it: an optional
/// query parameter in the `form` style, exploded (`?tag=a&tag=b`), of scalar items
/// without validation keywords of their own.
pub(super) fn check_array_param(
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
pub(super) fn param_pattern(
    spec: &Spec,
    key: (&'static str, String, String),
    name: &str,
    pattern: &str,
    location: &str,
) -> Result<(TokenStream, Validator)> {
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
    Ok((item, Validator::Pattern(ident)))
}

pub(super) fn param_validators(
    spec: &Spec,
    schema: &Schema,
    location: &str,
) -> Result<Vec<Validator>> {
    let mut validators = Vec::new();
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            if let Some(max) = string.max_length {
                validators.push(Validator::MaxLength(max));
            }
            if let Some(min) = string.min_length {
                validators.push(Validator::MinLength(min));
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
                validators.push(Validator::Maximum {
                    value: max.to_string(),
                    exclusive: integer.exclusive_maximum,
                });
            }
            if let Some(min) = integer.minimum {
                validators.push(Validator::Minimum {
                    value: min.to_string(),
                    exclusive: integer.exclusive_minimum,
                });
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
                validators.push(Validator::Maximum {
                    value: max.to_string(),
                    exclusive: number.exclusive_maximum,
                });
            }
            if let Some(min) = number.minimum {
                validators.push(Validator::Minimum {
                    value: min.to_string(),
                    exclusive: number.exclusive_minimum,
                });
            }
        }
        _ => {}
    }
    Ok(validators)
}
