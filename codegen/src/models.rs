//! Component schemas to Rust models: objects become `poem_openapi::Object` structs,
//! string enums become `poem_openapi::Enum`s.
//!
//! The models carry shape only (types, required, nullable, enums, unknown fields).
//! Value constraints (lengths, patterns, ranges, formats) are enforced on request
//! bodies by the spec's own JSON Schema, compiled once when the server starts: that
//! keeps one regex dialect (ECMA-262, as in the client and the tests) and lets a 422
//! list every offending field at once.

use openapiv3::{
    AdditionalProperties, IntegerFormat, NumberFormat, ReferenceOr, Schema, SchemaKind,
    StringFormat, Type, VariantOrUnknownOrEmpty,
};
use proc_macro2::TokenStream;
use quote::quote;

use crate::error::{Result, SpecError};
use crate::names::{Case, Namer, convert, fallback, variant_names};
use crate::{Spec, doc_attr};

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// The name of the component a `$ref` points at, or an error naming `location`. The
/// reference is a JSON pointer: `~1` stands for `/` and `~0` for `~` in the name.
pub fn schema_ref_name(reference: &str, location: &str) -> Result<String> {
    let escaped = reference.strip_prefix(SCHEMA_PREFIX).ok_or_else(|| {
        SpecError::new(
            location,
            format!("`$ref: {reference}` must point into {SCHEMA_PREFIX}"),
        )
    })?;
    Ok(escaped.replace("~1", "/").replace("~0", "~"))
}

/// A component name as a segment of a JSON pointer (`/` as `~1`, `~` as `~0`).
fn pointer_segment(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The type of the component a `$ref` points at, or an error naming `location`.
pub fn schema_ident(spec: &Spec, reference: &str, location: &str) -> Result<proc_macro2::Ident> {
    let name = schema_ref_name(reference, location)?;
    spec.names.schema(&name, location)
}

/// How to name the enum an inline string enum schema becomes: `base` (in `Case::Type`),
/// numbered if taken; `key` says which schema it is, so that asking twice for the same
/// schema gives the same type.
pub struct EnumName {
    pub key: (&'static str, String, String),
    pub base: String,
}

/// Every component schema as Rust items, plus the inline enums their properties need.
pub fn generate_models(spec: &Spec) -> Result<TokenStream> {
    let mut items = Vec::new();
    let Some(components) = &spec.doc.components else {
        return Ok(TokenStream::new());
    };
    for (name, schema) in &components.schemas {
        let location = format!("components.schemas.{name}");
        let ReferenceOr::Item(schema) = schema else {
            return Err(SpecError::new(
                location,
                "a component schema must be defined here, not a `$ref` to another",
            ));
        };
        items.push(named_schema(spec, name, schema, &location)?);
    }
    Ok(quote! { #(#items)* })
}

fn named_schema(spec: &Spec, name: &str, schema: &Schema, location: &str) -> Result<TokenStream> {
    let ident = spec.names.schema(name, location)?;
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            let doc = doc_attr(schema.schema_data.description.as_deref());
            let closed = matches!(
                object.additional_properties,
                Some(AdditionalProperties::Any(false))
            );
            let serde_deny = closed.then(|| quote! { #[serde(deny_unknown_fields)] });
            let deny = match &object.additional_properties {
                None | Some(AdditionalProperties::Any(true)) => quote! {},
                Some(AdditionalProperties::Any(false)) => quote! { , deny_unknown_fields },
                Some(AdditionalProperties::Schema(_)) => {
                    return Err(SpecError::new(
                        format!("{location}.additionalProperties"),
                        "maps (additionalProperties with a schema) are not supported; \
                         use `false`, `true`, or leave it out",
                    ));
                }
            };
            let mut fields = Vec::new();
            let mut extra = Vec::new();
            let mut field_names = Namer::default();
            for (index, (prop, prop_schema)) in object.properties.iter().enumerate() {
                let prop_location = format!("{location}.properties.{prop}");
                let field_name =
                    field_names.name(prop, Case::Value, &fallback(prop, index, Case::Value));
                let field_ident = crate::names::ident(&field_name, &prop_location)?;
                let required = object.required.iter().any(|r| r == prop);
                let timestamp =
                    matches!(prop_schema, ReferenceOr::Item(inner) if is_date_time(inner));
                let (ty, nullable, prop_doc) = match prop_schema {
                    ReferenceOr::Reference { reference } => {
                        let target_ident = schema_ident(spec, reference, &prop_location)?;
                        (quote! { #target_ident }, false, None)
                    }
                    // `allOf: [$ref]` with `nullable: true`: OpenAPI 3.0's way to say
                    // "this component, or null" (a `$ref` cannot carry `nullable`).
                    ReferenceOr::Item(inner) if single_ref(inner).is_some() => {
                        let reference = single_ref(inner).unwrap_or_default();
                        let target_ident =
                            schema_ident(spec, reference, &format!("{prop_location}.allOf[0]"))?;
                        (
                            quote! { #target_ident },
                            inner.schema_data.nullable,
                            inner.schema_data.description.clone(),
                        )
                    }
                    ReferenceOr::Item(inner) => {
                        if inner.schema_data.default.is_some() {
                            return Err(SpecError::new(
                                format!("{prop_location}.default"),
                                "defaults on body properties are not applied by the server; \
                                 remove `default` and say it in the description",
                            ));
                        }
                        let enum_name = EnumName {
                            key: ("property", name.to_string(), prop.clone()),
                            base: format!(
                                "{ident}{}",
                                convert(prop, Case::Type, &fallback(prop, index, Case::Type))
                            ),
                        };
                        let ty = inline_type(spec, inner, &prop_location, &enum_name, &mut extra)?;
                        (
                            ty,
                            inner.schema_data.nullable,
                            inner.schema_data.description.clone(),
                        )
                    }
                };
                fields.push(field(
                    prop,
                    field_ident,
                    Field {
                        ty,
                        required,
                        nullable,
                        timestamp,
                    },
                    prop_doc.as_deref(),
                ));
            }
            for required in &object.required {
                if !object.properties.contains_key(required) {
                    return Err(SpecError::new(
                        format!("{location}.required"),
                        format!("`{required}` is required but not among the properties"),
                    ));
                }
            }
            let pointer = format!("/components/schemas/{}", pointer_segment(name));
            Ok(quote! {
                #doc
                #[derive(Debug, Clone, PartialEq, poem_openapi::Object, serde::Serialize, serde::Deserialize)]
                #[oai(rename = #name #deny)]
                #serde_deny
                pub struct #ident { #(#fields)* }

                impl SpecSchema for #ident {
                    const POINTER: &'static str = #pointer;

                    fn spec() -> &'static SpecDocument {
                        &SPEC_DOCUMENT
                    }
                }

                #(#extra)*
            })
        }
        SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
            string_enum(name, &ident, &string.enumeration, schema, location)
        }
        _ => Err(SpecError::new(
            location,
            "a component schema must be an object (`type: object`) or a string enum",
        )),
    }
}

/// The target of `allOf: [{$ref}]`, the only `allOf` the generator accepts.
fn single_ref(schema: &Schema) -> Option<&str> {
    match &schema.schema_kind {
        SchemaKind::AllOf { all_of } => match all_of.as_slice() {
            [ReferenceOr::Reference { reference }] => Some(reference),
            _ => None,
        },
        _ => None,
    }
}

/// A property's Rust type and how it appears on the wire.
struct Field {
    ty: TokenStream,
    required: bool,
    nullable: bool,
    /// A `date-time`, written by the runtime's `rfc3339` rather than chrono's serde.
    timestamp: bool,
}

fn field(prop: &str, ident: proc_macro2::Ident, field: Field, doc: Option<&str>) -> TokenStream {
    let Field {
        ty,
        required,
        nullable,
        timestamp,
    } = field;
    let doc = doc_attr(doc);
    // Optional and not nullable: absent on the wire when None (never `null`, which the
    // schema would refuse). Required and nullable: always present, `null` when None.
    let (ty, skip, serde_skip) = match (required, nullable) {
        (true, false) => (ty, quote! {}, quote! {}),
        (true, true) => (quote! { Option<#ty> }, quote! {}, quote! {}),
        (false, false) => (
            quote! { Option<#ty> },
            quote! { , skip_serializing_if_is_none },
            quote! { , default, skip_serializing_if = "Option::is_none" },
        ),
        (false, true) => (quote! { Option<#ty> }, quote! {}, quote! { , default }),
    };
    let serde_with = timestamp.then(|| quote! { , serialize_with = "rfc3339::serialize" });
    quote! {
        #doc
        #[oai(rename = #prop #skip)]
        #[serde(rename = #prop #serde_skip #serde_with)]
        pub #ident: #ty,
    }
}

/// Whether a property is a plain `date-time` string (a `DateTime<Utc>`).
fn is_date_time(schema: &Schema) -> bool {
    matches!(
        &schema.schema_kind,
        SchemaKind::Type(Type::String(string))
            if string.enumeration.is_empty()
                && matches!(string.format, VariantOrUnknownOrEmpty::Item(StringFormat::DateTime))
    )
}

fn string_enum(
    name: &str,
    ident: &proc_macro2::Ident,
    values: &[Option<String>],
    schema: &Schema,
    location: &str,
) -> Result<TokenStream> {
    let doc = doc_attr(schema.schema_data.description.as_deref());
    let values = enum_values(values, location)?;
    let names = variant_names(values.iter().copied());
    let mut variants = Vec::new();
    for (value, variant) in values.iter().zip(names) {
        let variant = crate::names::ident(&variant, &format!("{location}.enum"))?;
        variants.push(quote! {
            #[oai(rename = #value)]
            #[serde(rename = #value)]
            #variant,
        });
    }
    Ok(quote! {
        #doc
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, poem_openapi::Enum, serde::Serialize, serde::Deserialize)]
        #[oai(rename = #name)]
        pub enum #ident { #(#variants)* }
    })
}

/// A string enum's values; `null` among them, or a value listed twice, is refused.
pub fn enum_values<'a>(values: &'a [Option<String>], location: &str) -> Result<Vec<&'a str>> {
    let mut seen = std::collections::HashSet::new();
    let mut texts = Vec::new();
    for value in values {
        let Some(value) = value.as_deref() else {
            return Err(SpecError::new(
                format!("{location}.enum"),
                "`null` in an enum is not supported; use `nullable: true`",
            ));
        };
        if !seen.insert(value) {
            return Err(SpecError::new(
                format!("{location}.enum"),
                format!("`{value}` is listed twice"),
            ));
        }
        texts.push(value);
    }
    Ok(texts)
}

/// The Rust type of an inline (non-`$ref`) schema. String enums become a new enum named
/// `enum_name`, pushed onto `extra`.
pub fn inline_type(
    spec: &Spec,
    schema: &Schema,
    location: &str,
    enum_name: &EnumName,
    extra: &mut Vec<TokenStream>,
) -> Result<TokenStream> {
    reject_unsupported_data(schema, location)?;
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            if !string.enumeration.is_empty() {
                let ident =
                    spec.names
                        .late_type(enum_name.key.clone(), &enum_name.base, location)?;
                let name = ident.to_string();
                extra.push(string_enum(
                    &name,
                    &ident,
                    &string.enumeration,
                    schema,
                    location,
                )?);
                return Ok(quote! { #ident });
            }
            Ok(match &string.format {
                VariantOrUnknownOrEmpty::Item(StringFormat::DateTime) => {
                    quote! { chrono::DateTime<chrono::Utc> }
                }
                VariantOrUnknownOrEmpty::Item(StringFormat::Date) => quote! { chrono::NaiveDate },
                VariantOrUnknownOrEmpty::Item(StringFormat::Binary | StringFormat::Byte) => {
                    return Err(SpecError::new(
                        format!("{location}.format"),
                        "binary strings are supported only as a whole request or response body",
                    ));
                }
                VariantOrUnknownOrEmpty::Unknown(format) if format == "uuid" => {
                    quote! { uuid::Uuid }
                }
                VariantOrUnknownOrEmpty::Unknown(format)
                    if !crate::KNOWN_STRING_FORMATS.contains(&format.as_str()) =>
                {
                    return Err(SpecError::new(
                        format!("{location}.format"),
                        format!(
                            "unknown string format `{format}`; supported: date-time, date, uuid, {}",
                            crate::KNOWN_STRING_FORMATS.join(", ")
                        ),
                    ));
                }
                _ => quote! { String },
            })
        }
        SchemaKind::Type(Type::Integer(integer)) => {
            if !integer.enumeration.is_empty() {
                return Err(SpecError::new(
                    format!("{location}.enum"),
                    "integer enums are not supported; use minimum and maximum",
                ));
            }
            Ok(match &integer.format {
                VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => quote! { i32 },
                VariantOrUnknownOrEmpty::Item(IntegerFormat::Int64)
                | VariantOrUnknownOrEmpty::Empty => quote! { i64 },
                VariantOrUnknownOrEmpty::Unknown(format) => {
                    return Err(SpecError::new(
                        format!("{location}.format"),
                        format!("unknown integer format `{format}`; use int32 or int64"),
                    ));
                }
            })
        }
        SchemaKind::Type(Type::Number(number)) => Ok(match &number.format {
            VariantOrUnknownOrEmpty::Item(NumberFormat::Float) => quote! { f32 },
            _ => quote! { f64 },
        }),
        SchemaKind::Type(Type::Boolean(_)) => Ok(quote! { bool }),
        SchemaKind::Type(Type::Array(array)) => {
            let items_location = format!("{location}.items");
            let item = match &array.items {
                None => {
                    return Err(SpecError::new(location, "an array needs `items`"));
                }
                Some(ReferenceOr::Reference { reference }) => {
                    let ident = schema_ident(spec, reference, &items_location)?;
                    quote! { #ident }
                }
                Some(ReferenceOr::Item(item)) => {
                    inline_type(spec, item, &items_location, enum_name, extra)?
                }
            };
            Ok(quote! { Vec<#item> })
        }
        SchemaKind::Type(Type::Object(object)) if object.properties.is_empty() => {
            // A free-form object (any JSON object), e.g. a whole document.
            Ok(quote! { serde_json::Value })
        }
        SchemaKind::Type(Type::Object(_)) => Err(SpecError::new(
            location,
            "inline objects are not supported; move the object to components.schemas and `$ref` it",
        )),
        SchemaKind::OneOf { .. } | SchemaKind::AnyOf { .. } | SchemaKind::AllOf { .. } => {
            Err(SpecError::new(
                location,
                "oneOf, anyOf and allOf are not supported by this generator",
            ))
        }
        SchemaKind::Not { .. } => Err(SpecError::new(location, "`not` is not supported")),
        SchemaKind::Any(_) => Err(SpecError::new(
            location,
            "this schema has no single `type`, or keywords that do not fit its type \
             (e.g. `minimum` on a string)",
        )),
    }
}

fn reject_unsupported_data(schema: &Schema, location: &str) -> Result<()> {
    let data = &schema.schema_data;
    if data.discriminator.is_some() {
        return Err(SpecError::new(
            format!("{location}.discriminator"),
            "discriminators are not supported",
        ));
    }
    if data.read_only || data.write_only {
        return Err(SpecError::new(
            location,
            "readOnly and writeOnly are not supported; use separate schemas for input and output",
        ));
    }
    Ok(())
}
