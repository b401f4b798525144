//! Schemas to Rust models: objects (and `allOf`s of them) become `poem_openapi::Object`
//! structs, string enums `poem_openapi::Enum`s, `oneOf`/`anyOf` `poem_openapi::Union`s,
//! maps `HashMap<String, T>`, schemas without a type `serde_json::Value`; other component
//! schemas (scalars, arrays, maps) become `poem_openapi::NewType`s, so that each
//! component has its own type and its own `SpecSchema` pointer, and a component that is
//! only a `$ref` becomes a `pub type` alias of its target.
//!
//! An inline object (a property's, an array's items, a map's values, a union member)
//! gets a type named after where it is: property `owner` of `Pet` is `PetOwner`, the
//! items of its array property `tags` are `PetTagsItem`, the values of a map property
//! `labels` are `PetLabelsValue`, the members of a union `PetKind` are `PetKindString`,
//! `PetKindObject`, ... (numbered by [`crate::names`] when a name is taken).
//!
//! The models carry shape only (types, required, nullable, enums, unknown fields).
//! Value constraints (lengths, patterns, ranges, formats, integer enums) are enforced
//! on request bodies by the spec's own JSON Schema, compiled once when the server
//! starts: that keeps one regex dialect (ECMA-262, as in the client and the tests) and
//! lets a 422 list every offending field at once. A model therefore accepts every
//! instance its schema accepts.

use chrono::Datelike;
use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, AnySchema, IntegerFormat, NumberFormat, ReferenceOr, Schema, SchemaKind,
    StringFormat, Type, VariantOrUnknownOrEmpty,
};
use proc_macro2::TokenStream;
use quote::quote;

use crate::error::{Result, SpecError};
use crate::names::{Case, Namer, convert, fallback, variant_names};
use crate::{Spec, doc_attr};

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// How deep `$ref`s and `allOf`s may nest before the generator gives up (a cycle).
const MAX_DEPTH: usize = 32;

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

/// `text` (a component's name, a path, a media type) as one reference token of a JSON
/// pointer (`~` is `~0`, `/` is `~1`).
pub(crate) fn pointer_token(text: &str) -> String {
    text.replace('~', "~0").replace('/', "~1")
}

/// The type of the component a `$ref` points at, or an error naming `location`.
pub fn schema_ident(spec: &Spec, reference: &str, location: &str) -> Result<proc_macro2::Ident> {
    let name = schema_ref_name(reference, location)?;
    spec.names.schema(&name, location)
}

/// How to name the type an inline schema becomes (a string enum, an object, a union):
/// `base` (in `Case::Type`), numbered if taken; `key` says which schema it is, so that
/// asking twice for the same schema gives the same type. Types nested inside it are
/// named from it (see [`EnumName::child`]).
pub struct EnumName {
    pub key: (&'static str, String, String),
    pub base: String,
}

impl EnumName {
    /// The name of a schema inside this one: `step` extends the key, `suffix` the base.
    pub fn child(&self, step: &str, suffix: &str) -> EnumName {
        let (kind, owner, path) = &self.key;
        let path = if path.is_empty() {
            step.to_string()
        } else {
            format!("{path}/{step}")
        };
        EnumName {
            key: (kind, owner.clone(), path),
            base: format!("{}{suffix}", self.base),
        }
    }
}

/// Every component schema as Rust items, plus the inline types their schemas need.
pub fn generate_models(spec: &Spec) -> Result<TokenStream> {
    let mut items = Vec::new();
    let Some(components) = &spec.doc.components else {
        return Ok(TokenStream::new());
    };
    for (name, schema) in &components.schemas {
        let location = format!("components.schemas.{name}");
        match schema {
            ReferenceOr::Reference { reference } => {
                let ident = spec.names.schema(name, &location)?;
                let target = schema_ident(spec, reference, &location)?;
                items.push(quote! { pub type #ident = #target; });
            }
            ReferenceOr::Item(schema) => items.push(named_schema(spec, name, schema, &location)?),
        }
    }
    Ok(quote! { #(#items)* })
}

fn named_schema(spec: &Spec, name: &str, schema: &Schema, location: &str) -> Result<TokenStream> {
    let ident = spec.names.schema(name, location)?;
    let doc = doc_attr(schema.schema_data.description.as_deref());
    let pointer = format!("/components/schemas/{}", pointer_token(name));
    let spec_schema = quote! {
        impl SpecSchema for #ident {
            const POINTER: &'static str = #pointer;

            fn spec() -> &'static SpecDocument {
                &SPEC_DOCUMENT
            }
        }
    };
    let mut extra = Vec::new();
    // Inline schemas inside a component are keyed by the component and their path in it;
    // a top-level property's path is its name.
    let naming = EnumName {
        key: ("property", name.to_string(), String::new()),
        base: ident.to_string(),
    };
    reject_unsupported_data(schema, location)?;
    if let SchemaKind::Type(Type::String(string)) = &schema.schema_kind
        && !string.enumeration.is_empty()
    {
        // A string enum can be a whole request body, so it is bound to its schema too.
        let item = string_enum(name, &ident, &string.enumeration, schema, location)?;
        return Ok(quote! {
            #item
            #spec_schema
        });
    }
    if let Some(reference) = single_ref(schema) {
        let target = schema_ident(spec, reference, &format!("{location}.allOf[0]"))?;
        return Ok(quote! {
            #doc
            pub type #ident = #target;
        });
    }
    let item = if let Some(shape) = object_shape(spec, schema, location, 0)?.filter(is_struct) {
        object_struct(
            spec, &ident, name, &shape, schema, location, &naming, &mut extra,
        )?
    } else if let Some((members, discriminator)) = union_members(schema) {
        union_enum(
            spec,
            &ident,
            name,
            &members,
            discriminator,
            schema,
            location,
            &naming,
            &mut extra,
        )?
    } else {
        let ty = inline_type(spec, schema, location, &naming, &mut extra)?;
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, poem_openapi::NewType, serde::Serialize, serde::Deserialize)]
            #[oai(from_parameter = false, from_multipart = false, to_header = false)]
            #[serde(transparent)]
            pub struct #ident(pub #ty);
        }
    };
    Ok(quote! {
        #item
        #spec_schema
        #(#extra)*
    })
}

/// The target of `allOf: [{$ref}]` alone (OpenAPI 3.0's way to give a `$ref` a
/// description or `nullable`): the component itself.
fn single_ref(schema: &Schema) -> Option<&str> {
    match &schema.schema_kind {
        SchemaKind::AllOf { all_of } => match all_of.as_slice() {
            [ReferenceOr::Reference { reference }] => Some(reference),
            _ => None,
        },
        _ => None,
    }
}

/// The properties, required names and other keys of an object schema, or of the
/// `allOf` that merges several.
#[derive(Default)]
struct ObjectShape {
    properties: IndexMap<String, ReferenceOr<Schema>>,
    required: Vec<String>,
    additional: Option<AdditionalProperties>,
}

/// Whether an object shape is a struct (it has properties, or allows none) rather
/// than a map or any object.
fn is_struct(shape: &ObjectShape) -> bool {
    !shape.properties.is_empty()
        || matches!(shape.additional, Some(AdditionalProperties::Any(false)))
}

fn unboxed(schema: &ReferenceOr<Box<Schema>>) -> ReferenceOr<Schema> {
    match schema {
        ReferenceOr::Reference { reference } => ReferenceOr::Reference {
            reference: reference.clone(),
        },
        ReferenceOr::Item(schema) => ReferenceOr::Item((**schema).clone()),
    }
}

/// A schema's keys beyond those of an untyped schema: a hint that it was meant to
/// have a `type` (`properties`, `items`, `minLength`, ...).
fn any_keys(any: &AnySchema) -> Vec<&'static str> {
    let mut keys = Vec::new();
    let mut has = |present: bool, key: &'static str| {
        if present {
            keys.push(key);
        }
    };
    has(any.pattern.is_some(), "pattern");
    has(any.multiple_of.is_some(), "multipleOf");
    has(any.minimum.is_some(), "minimum");
    has(any.maximum.is_some(), "maximum");
    has(any.exclusive_minimum.is_some(), "exclusiveMinimum");
    has(any.exclusive_maximum.is_some(), "exclusiveMaximum");
    has(!any.properties.is_empty(), "properties");
    has(!any.required.is_empty(), "required");
    has(any.additional_properties.is_some(), "additionalProperties");
    has(any.min_properties.is_some(), "minProperties");
    has(any.max_properties.is_some(), "maxProperties");
    has(any.items.is_some(), "items");
    has(any.min_items.is_some(), "minItems");
    has(any.max_items.is_some(), "maxItems");
    has(any.unique_items.is_some(), "uniqueItems");
    has(any.format.is_some(), "format");
    has(any.min_length.is_some(), "minLength");
    has(any.max_length.is_some(), "maxLength");
    keys
}

/// The object a schema describes, if it is one: `type: object`, an untyped schema with
/// object keywords, or an `allOf` of objects (merged: properties in member order,
/// `required` joined). `None` for anything else.
fn object_shape(
    spec: &Spec,
    schema: &Schema,
    location: &str,
    depth: usize,
) -> Result<Option<ObjectShape>> {
    if depth > MAX_DEPTH {
        return Err(SpecError::new(
            location,
            "`allOf` and `$ref` nest too deep (a cycle?)",
        ));
    }
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => Ok(Some(ObjectShape {
            properties: object
                .properties
                .iter()
                .map(|(name, schema)| (name.clone(), unboxed(schema)))
                .collect(),
            required: object.required.clone(),
            additional: object.additional_properties.clone(),
        })),
        SchemaKind::AllOf { all_of } => match single_ref(schema) {
            // Inside an `allOf`, `allOf: [$ref]` is the component's object, if it is one.
            Some(_) => {
                let target = resolve(spec, &all_of[0], &format!("{location}.allOf[0]"))?;
                object_shape(spec, target, location, depth + 1)
            }
            None => merge_all_of(spec, all_of, ObjectShape::default(), location, depth),
        },
        SchemaKind::Any(any) if any.one_of.is_empty() && any.any_of.is_empty() => {
            let own = ObjectShape {
                properties: any
                    .properties
                    .iter()
                    .map(|(name, schema)| (name.clone(), unboxed(schema)))
                    .collect(),
                required: any.required.clone(),
                additional: any.additional_properties.clone(),
            };
            if !any.all_of.is_empty() {
                return merge_all_of(spec, &any.all_of, own, location, depth);
            }
            let objectish = any.typ.as_deref() == Some("object")
                || (any.typ.is_none()
                    && (!any.properties.is_empty() || any.additional_properties.is_some()));
            Ok(objectish.then_some(own))
        }
        _ => Ok(None),
    }
}

/// `allOf` members merged into `own` (the keys written beside the `allOf`): `None`
/// when no member is an object (then the `allOf` is read as its first typed member).
fn merge_all_of(
    spec: &Spec,
    members: &[ReferenceOr<Schema>],
    own: ObjectShape,
    location: &str,
    depth: usize,
) -> Result<Option<ObjectShape>> {
    let mut merged = ObjectShape::default();
    let mut objects = 0;
    let own_additional = own.additional.clone();
    let own_is_object = !own.properties.is_empty() || !own.required.is_empty();
    for (index, member) in members.iter().enumerate() {
        let member_location = format!("{location}.allOf[{index}]");
        let member = resolve(spec, member, &member_location)?;
        if let Some(shape) = object_shape(spec, member, &member_location, depth + 1)? {
            objects += 1;
            merge_into(&mut merged, shape);
        } else if !is_untyped_constraint(member) {
            if objects > 0 || own_is_object || members.len() > 1 {
                return Err(SpecError::new(
                    member_location,
                    "`allOf` members must all be objects (or keywords without a `type`)",
                ));
            }
            return Ok(None);
        }
    }
    if objects == 0 && !own_is_object {
        return Ok(None);
    }
    merge_into(&mut merged, own);
    // A member's `additionalProperties: false` would refuse the other members'
    // properties; only the keys written beside the `allOf` close or open the whole.
    merged.additional = own_additional.or(merged
        .additional
        .filter(|additional| matches!(additional, AdditionalProperties::Schema(_))));
    Ok(Some(merged))
}

fn merge_into(merged: &mut ObjectShape, shape: ObjectShape) {
    for (name, schema) in shape.properties {
        merged.properties.entry(name).or_insert(schema);
    }
    for name in shape.required {
        if !merged.required.contains(&name) {
            merged.required.push(name);
        }
    }
    if shape.additional.is_some() {
        merged.additional = shape.additional;
    }
}

/// A schema that only constrains (no `type`, no object or array keywords), e.g. an
/// `allOf` member `{description: ...}` or `{required: [id]}`.
fn is_untyped_constraint(schema: &Schema) -> bool {
    matches!(&schema.schema_kind, SchemaKind::Any(any)
        if any.typ.is_none() && any.items.is_none() && any.all_of.is_empty()
            && any.one_of.is_empty() && any.any_of.is_empty() && any.not.is_none())
}

/// The component schema a `$ref` points at (following `$ref` components), or the
/// schema itself.
fn resolve<'a>(
    spec: &'a Spec,
    schema: &'a ReferenceOr<Schema>,
    location: &str,
) -> Result<&'a Schema> {
    let mut current = schema;
    for _ in 0..MAX_DEPTH {
        match current {
            ReferenceOr::Item(schema) => return Ok(schema),
            ReferenceOr::Reference { reference } => {
                let name = schema_ref_name(reference, location)?;
                current = spec
                    .doc
                    .components
                    .as_ref()
                    .and_then(|c| c.schemas.get(&name))
                    .ok_or_else(|| {
                        SpecError::new(location, format!("`{reference}` points nowhere"))
                    })?;
            }
        }
    }
    Err(SpecError::new(location, "`$ref`s form a cycle"))
}

/// Whether a schema admits `null`: `nullable: true`, or `null` among its enum values.
fn is_nullable(schema: &Schema) -> bool {
    schema.schema_data.nullable
        || match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) => string.enumeration.contains(&None),
            SchemaKind::Type(Type::Integer(integer)) => integer.enumeration.contains(&None),
            SchemaKind::Type(Type::Number(number)) => number.enumeration.contains(&None),
            SchemaKind::Type(Type::Boolean(boolean)) => boolean.enumeration.contains(&None),
            _ => false,
        }
}

/// Whether a property's schema (inline, or the component a `$ref` names) admits `null`.
fn admits_null(spec: &Spec, schema: &ReferenceOr<Schema>, location: &str) -> Result<bool> {
    Ok(match schema {
        ReferenceOr::Item(inner) if single_ref(inner).is_some() => is_nullable(inner),
        _ => is_nullable(resolve(spec, schema, location)?),
    })
}

/// The struct of an object shape (and, pushed onto `extra`, the types its properties
/// need). A component's struct is bound to its schema by `SpecSchema` (by the caller).
#[allow(clippy::too_many_arguments)]
fn object_struct(
    spec: &Spec,
    ident: &proc_macro2::Ident,
    wire_name: &str,
    shape: &ObjectShape,
    schema: &Schema,
    location: &str,
    naming: &EnumName,
    extra: &mut Vec<TokenStream>,
) -> Result<TokenStream> {
    let doc = doc_attr(schema.schema_data.description.as_deref());
    let closed = matches!(shape.additional, Some(AdditionalProperties::Any(false)));
    let serde_deny = closed.then(|| quote! { #[serde(deny_unknown_fields)] });
    let deny = closed.then(|| quote! { , deny_unknown_fields });
    let mut fields = Vec::new();
    let mut defaults = Vec::new();
    let mut field_names = Namer::default();
    for (index, (prop, prop_schema)) in shape.properties.iter().enumerate() {
        let prop_location = format!("{location}.properties.{prop}");
        let field_name = field_names.name(prop, Case::Value, &fallback(prop, index, Case::Value));
        let field_ident = crate::names::ident(&field_name, &prop_location)?;
        let required = shape.required.iter().any(|r| r == prop);
        let nullable = admits_null(spec, prop_schema, &prop_location)?;
        let (ty, data) = match prop_schema {
            ReferenceOr::Reference { reference } => {
                let target_ident = schema_ident(spec, reference, &prop_location)?;
                (boxed_if_recursive(spec, reference, target_ident), None)
            }
            // `allOf: [$ref]` with `nullable: true`: OpenAPI 3.0's way to say
            // "this component, or null" (a `$ref` cannot carry `nullable`).
            ReferenceOr::Item(inner) if single_ref(inner).is_some() => {
                let reference = single_ref(inner).unwrap_or_default();
                let target_ident =
                    schema_ident(spec, reference, &format!("{prop_location}.allOf[0]"))?;
                (
                    boxed_if_recursive(spec, reference, target_ident),
                    Some(inner),
                )
            }
            ReferenceOr::Item(inner) => {
                let prop_naming = naming_from(
                    ident,
                    naming,
                    prop,
                    &convert(prop, Case::Type, &fallback(prop, index, Case::Type)),
                );
                let ty = inline_type(spec, inner, &prop_location, &prop_naming, extra)?;
                (ty, Some(inner))
            }
        };
        let timestamp = matches!(prop_schema, ReferenceOr::Item(inner) if is_date_time(inner));
        let read_only = data.is_some_and(|d| d.schema_data.read_only);
        let write_only = data.is_some_and(|d| d.schema_data.write_only);
        if read_only && write_only {
            return Err(SpecError::new(
                prop_location,
                "a property cannot be both readOnly and writeOnly",
            ));
        }
        // A default fills an absent optional property; a nullable one keeps `None`,
        // since poem reads `null` as absent and would replace a `null` sent on purpose.
        let default = match data.and_then(|d| d.schema_data.default.as_ref()) {
            Some(value) if !required || read_only => {
                let function = format!("default_{}", field_name.trim_start_matches("r#"));
                match default_value(value, &ty, data, "property", &prop_location)? {
                    Some(expr) if !nullable => {
                        let function_ident = crate::names::ident(&function, &prop_location)?;
                        defaults.push(quote! {
                            fn #function_ident() -> #ty { #expr }
                        });
                        Some(format!("{ident}::{function}"))
                    }
                    _ => {
                        spec.warn(
                            format!("{prop_location}.default"),
                            "this default is not applied by the server (a nullable property, \
                             or a value of this type); the property is optional",
                        );
                        None
                    }
                }
            }
            _ => None,
        };
        fields.push(field(
            prop,
            field_ident,
            Field {
                ty,
                // A read-only property need not be sent in a request.
                required: required && !read_only,
                nullable,
                timestamp,
                write_only,
                default,
            },
            data.and_then(|d| d.schema_data.description.as_deref()),
        ));
    }
    for required in &shape.required {
        if !shape.properties.contains_key(required) {
            spec.warn(
                format!("{location}.required"),
                format!("`{required}` is required but not among the properties; ignored"),
            );
        }
    }
    if let Some(additional) = &shape.additional {
        let map = match additional {
            AdditionalProperties::Any(_) => None,
            AdditionalProperties::Schema(value) => {
                let value_location = format!("{location}.additionalProperties");
                let value_naming = naming_from(ident, naming, "additionalProperties", "Value");
                Some(element_type(
                    spec,
                    value,
                    &value_location,
                    &value_naming,
                    extra,
                )?)
            }
        };
        if let Some(value) = map {
            // The properties the schema does not name, after the named ones.
            let name = field_names.claim("additional_properties".to_string());
            let map_ident = crate::names::ident(&name, location)?;
            fields.push(quote! {
                #[oai(flatten)]
                #[serde(flatten)]
                pub #map_ident: std::collections::HashMap<String, #value>,
            });
        }
    }
    let defaults = (!defaults.is_empty()).then(|| {
        quote! {
            impl #ident { #(#defaults)* }
        }
    });
    Ok(quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, poem_openapi::Object, serde::Serialize, serde::Deserialize)]
        #[oai(rename = #wire_name #deny)]
        #serde_deny
        pub struct #ident { #(#fields)* }
        #defaults
    })
}

/// `Target`, or `Box<Target>` when the component contains itself (through properties,
/// `allOf` or union members; arrays and maps are already indirect): a struct field of
/// that type would otherwise have no size.
fn boxed_if_recursive(spec: &Spec, reference: &str, ident: proc_macro2::Ident) -> TokenStream {
    boxed_if_holding_itself(spec, reference, ident, Through::Everything)
}

/// `Target` as a member of an untagged union, or `Box<Target>` when the component
/// holds itself through union members alone (`A: oneOf [B, string]`,
/// `B: anyOf [A, integer]`): a struct field on the way would be boxed already, but an
/// enum of enums would have no size.
fn union_member_type(spec: &Spec, reference: &str, ident: proc_macro2::Ident) -> TokenStream {
    boxed_if_holding_itself(spec, reference, ident, Through::Unions)
}

/// `Box<Target>` when the component `reference` names holds itself `through` what is
/// given; `Target` otherwise.
fn boxed_if_holding_itself(
    spec: &Spec,
    reference: &str,
    ident: proc_macro2::Ident,
    through: Through,
) -> TokenStream {
    let name = schema_ref_name(reference, "").unwrap_or_default();
    let mut visited = std::collections::HashSet::new();
    let recursive = spec
        .doc
        .components
        .as_ref()
        .and_then(|c| c.schemas.get(&name))
        .is_some_and(|schema| contains(spec, schema, &name, through, &mut visited));
    if recursive {
        quote! { Box<#ident> }
    } else {
        quote! { #ident }
    }
}

/// What [`contains`] looks through.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Through {
    /// Properties, `allOf` and union members: what a struct holds by value.
    Everything,
    /// Union members only: what an enum holds by value.
    Unions,
}

/// Whether `schema` holds component `target` by value (see [`boxed_if_recursive`]).
fn contains(
    spec: &Spec,
    schema: &ReferenceOr<Schema>,
    target: &str,
    through: Through,
    visited: &mut std::collections::HashSet<String>,
) -> bool {
    let schema = match schema {
        ReferenceOr::Reference { reference } => {
            let Ok(name) = schema_ref_name(reference, "") else {
                return false;
            };
            if name == target {
                return true;
            }
            if !visited.insert(name.clone()) {
                return false;
            }
            match spec
                .doc
                .components
                .as_ref()
                .and_then(|c| c.schemas.get(&name))
            {
                Some(schema) => return contains(spec, schema, target, through, visited),
                None => return false,
            }
        }
        ReferenceOr::Item(schema) => schema,
    };
    let mut check = |members: &[ReferenceOr<Schema>]| {
        members
            .iter()
            .any(|m| contains(spec, m, target, through, visited))
    };
    if through == Through::Unions {
        return match union_members(schema) {
            Some((members, _)) => check(&members),
            None => false,
        };
    }
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            let properties: Vec<ReferenceOr<Schema>> =
                object.properties.values().map(unboxed).collect();
            check(&properties)
        }
        SchemaKind::AllOf { all_of: members }
        | SchemaKind::OneOf { one_of: members }
        | SchemaKind::AnyOf { any_of: members } => check(members),
        SchemaKind::Any(any) => {
            let mut members: Vec<ReferenceOr<Schema>> =
                any.properties.values().map(unboxed).collect();
            members.extend(any.all_of.iter().cloned());
            members.extend(any.one_of.iter().cloned());
            members.extend(any.any_of.iter().cloned());
            check(&members)
        }
        _ => false,
    }
}

/// The naming of a schema nested in struct `ident` (named by `naming`).
fn naming_from(
    ident: &proc_macro2::Ident,
    naming: &EnumName,
    step: &str,
    suffix: &str,
) -> EnumName {
    EnumName {
        key: (
            naming.key.0,
            naming.key.1.clone(),
            if naming.key.2.is_empty() {
                step.to_string()
            } else {
                format!("{}/{step}", naming.key.2)
            },
        ),
        base: format!("{ident}{suffix}"),
    }
}

/// The Rust expression of a `default` for a value of type `ty` (a variant when `data` is
/// a string enum), or `None` when the generator cannot write one for this type.
/// `subject` (`property`, `parameter`) names what the default belongs to in errors.
pub(crate) fn default_value(
    value: &serde_json::Value,
    ty: &TokenStream,
    data: Option<&Schema>,
    subject: &str,
    location: &str,
) -> Result<Option<TokenStream>> {
    let ty_text = ty.to_string();
    let wrong = || {
        SpecError::new(
            format!("{location}.default"),
            format!("default `{value}` does not fit the {subject}'s type"),
        )
    };
    if let Some(Schema {
        schema_kind: SchemaKind::Type(Type::String(string)),
        ..
    }) = data
        && !string.enumeration.is_empty()
    {
        let text = value.as_str().ok_or_else(wrong)?;
        let values = enum_values(&string.enumeration, location)?;
        let names = variant_names(values.iter().copied());
        let Some(index) = values.iter().position(|v| *v == text) else {
            return Err(SpecError::new(
                format!("{location}.default"),
                format!("default `{text}` is not one of the enum's values"),
            ));
        };
        let variant = crate::names::ident(&names[index], &format!("{location}.default"))?;
        return Ok(Some(quote! { #ty::#variant }));
    }
    Ok(Some(match ty_text.as_str() {
        "i32" | "i64" => {
            let number = value.as_i64().ok_or_else(wrong)?;
            let literal = proc_macro2::Literal::i64_unsuffixed(number);
            quote! { #literal }
        }
        "f32" | "f64" => {
            let number = value.as_f64().ok_or_else(wrong)?;
            let literal = proc_macro2::Literal::f64_unsuffixed(number);
            quote! { #literal }
        }
        "bool" => {
            let flag = value.as_bool().ok_or_else(wrong)?;
            quote! { #flag }
        }
        "String" => {
            let text = value.as_str().ok_or_else(wrong)?;
            quote! { String::from(#text) }
        }
        "serde_json :: Value" => {
            let text = value.to_string();
            quote! { serde_json::from_str(#text).unwrap_or_default() }
        }
        "chrono :: NaiveDate" => {
            let text = value.as_str().ok_or_else(wrong)?;
            let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| wrong())?;
            let (year, month, day) = (date.year(), date.month(), date.day());
            // Checked above, so the fallback is never taken.
            quote! { chrono::NaiveDate::from_ymd_opt(#year, #month, #day).unwrap_or_default() }
        }
        "chrono :: DateTime < chrono :: Utc >" => {
            let text = value.as_str().ok_or_else(wrong)?;
            let at = chrono::DateTime::parse_from_rfc3339(text).map_err(|_| wrong())?;
            let (seconds, nanos) = (at.timestamp(), at.timestamp_subsec_nanos());
            quote! { chrono::DateTime::from_timestamp(#seconds, #nanos).unwrap_or_default() }
        }
        "uuid :: Uuid" => {
            let text = value.as_str().ok_or_else(wrong)?;
            let id = uuid::Uuid::parse_str(text).map_err(|_| wrong())?.as_u128();
            let literal = proc_macro2::Literal::u128_unsuffixed(id);
            quote! { uuid::Uuid::from_u128(#literal) }
        }
        _ => {
            let items_ty = generic_argument(ty, "Vec");
            let values_ty = generic_argument(ty, "std :: collections :: HashMap < String ,");
            match (items_ty, values_ty, value) {
                (Some(items_ty), _, serde_json::Value::Array(items)) => {
                    let items_data = data.and_then(array_items);
                    let mut written = Vec::with_capacity(items.len());
                    for (index, item) in items.iter().enumerate() {
                        let item_location = format!("{location}.default[{index}]");
                        let Some(item) =
                            default_value(item, &items_ty, items_data, subject, &item_location)?
                        else {
                            return Ok(None);
                        };
                        written.push(item);
                    }
                    quote! { vec![#(#written),*] }
                }
                (_, Some(values_ty), serde_json::Value::Object(entries)) => {
                    let values_data = data.and_then(map_values);
                    let mut written = Vec::with_capacity(entries.len());
                    for (key, entry) in entries {
                        let entry_location = format!("{location}.default.{key}");
                        let Some(entry) = default_value(
                            entry,
                            &values_ty,
                            values_data,
                            subject,
                            &entry_location,
                        )?
                        else {
                            return Ok(None);
                        };
                        written.push(quote! { (String::from(#key), #entry) });
                    }
                    quote! { std::collections::HashMap::from([#(#written),*]) }
                }
                (Some(_), _, _) | (_, Some(_), _) => return Err(wrong()),
                _ => return Ok(None),
            }
        }
    }))
}

/// The type argument of `ty` when it is `outer<T>`, `outer` being the tokens' text up
/// to the argument (`Vec`, or `std :: collections :: HashMap < String ,` for a map).
fn generic_argument(ty: &TokenStream, outer: &str) -> Option<TokenStream> {
    let text = ty.to_string();
    let inner = text.strip_prefix(outer)?.trim_start();
    let inner = if outer.ends_with(',') {
        inner.strip_suffix('>')?
    } else {
        inner.strip_prefix('<')?.strip_suffix('>')?
    };
    inner.trim().parse().ok()
}

/// The inline schema of an array's items (a `$ref` is read by its type alone).
fn array_items(schema: &Schema) -> Option<&Schema> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Array(array)) => match array.items.as_ref()? {
            ReferenceOr::Item(items) => Some(items),
            ReferenceOr::Reference { .. } => None,
        },
        _ => None,
    }
}

/// The inline schema of a map's values.
fn map_values(schema: &Schema) -> Option<&Schema> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => match object.additional_properties.as_ref()? {
            openapiv3::AdditionalProperties::Schema(values) => match values.as_ref() {
                ReferenceOr::Item(values) => Some(values),
                ReferenceOr::Reference { .. } => None,
            },
            openapiv3::AdditionalProperties::Any(_) => None,
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
    /// Read from requests, never written (`writeOnly`).
    write_only: bool,
    /// The path of the function giving the value of an absent property.
    default: Option<String>,
}

fn field(prop: &str, ident: proc_macro2::Ident, field: Field, doc: Option<&str>) -> TokenStream {
    let Field {
        ty,
        required,
        nullable,
        timestamp,
        write_only,
        default,
    } = field;
    let doc = doc_attr(doc);
    // Optional and not nullable: absent on the wire when None (never `null`, which the
    // schema would refuse). Required and nullable: always present, `null` when None.
    // Optional with a default: the default when absent, always written.
    let (ty, skip, serde_skip) = match (&default, required, nullable) {
        (Some(function), _, _) => (
            ty,
            quote! { , default = #function },
            quote! { , default = #function },
        ),
        (None, true, false) => (ty, quote! {}, quote! {}),
        (None, true, true) => (quote! { Option<#ty> }, quote! {}, quote! {}),
        (None, false, false) => (
            quote! { Option<#ty> },
            quote! { , skip_serializing_if_is_none },
            quote! { , default, skip_serializing_if = "Option::is_none" },
        ),
        (None, false, true) => (quote! { Option<#ty> }, quote! {}, quote! { , default }),
    };
    let serde_with = timestamp.then(|| quote! { , serialize_with = "rfc3339::serialize" });
    let (oai_write_only, serde_write_only) = if write_only {
        (quote! { , write_only }, quote! { , skip_serializing })
    } else {
        (quote! {}, quote! {})
    };
    quote! {
        #doc
        #[oai(rename = #prop #skip #oai_write_only)]
        #[serde(rename = #prop #serde_skip #serde_with #serde_write_only)]
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

/// A string enum's values, `null` left out (it makes the schema nullable); a value
/// listed twice is refused.
pub fn enum_values<'a>(values: &'a [Option<String>], location: &str) -> Result<Vec<&'a str>> {
    let mut seen = std::collections::HashSet::new();
    let mut texts = Vec::new();
    for value in values.iter().flatten() {
        if !seen.insert(value.as_str()) {
            return Err(SpecError::new(
                format!("{location}.enum"),
                format!("`{value}` is listed twice"),
            ));
        }
        texts.push(value.as_str());
    }
    Ok(texts)
}

/// The members of a `oneOf` or `anyOf` schema (written alone, or beside other keys),
/// and its discriminator.
fn union_members(
    schema: &Schema,
) -> Option<(Vec<ReferenceOr<Schema>>, Option<&openapiv3::Discriminator>)> {
    let members = match &schema.schema_kind {
        SchemaKind::OneOf { one_of } => one_of.clone(),
        SchemaKind::AnyOf { any_of } => any_of.clone(),
        SchemaKind::Any(any) if !any.one_of.is_empty() => any.one_of.clone(),
        SchemaKind::Any(any) if !any.any_of.is_empty() => any.any_of.clone(),
        _ => return None,
    };
    Some((members, schema.schema_data.discriminator.as_ref()))
}

/// A `oneOf`/`anyOf` as a `poem_openapi::Union`. With a discriminator, each member is
/// chosen by its mapped value (the component's name when `mapping` leaves it out);
/// without, members are tried in order and the first that reads the value wins.
#[allow(clippy::too_many_arguments)]
fn union_enum(
    spec: &Spec,
    ident: &proc_macro2::Ident,
    wire_name: &str,
    members: &[ReferenceOr<Schema>],
    discriminator: Option<&openapiv3::Discriminator>,
    schema: &Schema,
    location: &str,
    naming: &EnumName,
    extra: &mut Vec<TokenStream>,
) -> Result<TokenStream> {
    let doc = doc_attr(schema.schema_data.description.as_deref());
    let keyword = if matches!(&schema.schema_kind, SchemaKind::AnyOf { .. })
        || matches!(&schema.schema_kind, SchemaKind::Any(any) if any.one_of.is_empty())
    {
        "anyOf"
    } else {
        "oneOf"
    };
    if members.is_empty() {
        return Err(SpecError::new(
            format!("{location}.{keyword}"),
            format!("`{keyword}` needs at least one member"),
        ));
    }
    // A discriminator names components; with an inline member there is no name to map,
    // so the members are tried in order instead (JSON Schema's own reading of the union).
    let discriminator = match discriminator {
        Some(_) if members.iter().any(|m| matches!(m, ReferenceOr::Item(_))) => {
            spec.warn(
                format!("{location}.discriminator"),
                "a discriminator with inline members is read past: the members are tried in \
                 order",
            );
            None
        }
        other => other,
    };
    let mut namer = Namer::default();
    // (variant, type, discriminator value)
    let mut variants: Vec<(proc_macro2::Ident, TokenStream, Option<String>)> = Vec::new();
    // Whether each variant is a plain string (see below).
    let mut lax = Vec::new();
    for (index, member) in members.iter().enumerate() {
        let member_location = format!("{location}.{keyword}[{index}]");
        let plain_string = matches!(
            &resolve(spec, member, &member_location)?.schema_kind,
            SchemaKind::Type(Type::String(string))
                if string.enumeration.is_empty()
                    && !matches!(
                        &string.format,
                        VariantOrUnknownOrEmpty::Item(StringFormat::DateTime | StringFormat::Date)
                    )
        );
        match member {
            ReferenceOr::Reference { reference } => {
                let name = schema_ref_name(reference, &member_location)?;
                let target = schema_ident(spec, reference, &member_location)?;
                let values: Vec<String> = match discriminator {
                    None => vec![String::new()],
                    Some(d) => {
                        let mapped: Vec<String> = d
                            .mapping
                            .iter()
                            .filter(|(_, to)| {
                                *to == reference
                                    || *to == &name
                                    || **to == format!("{SCHEMA_PREFIX}{name}")
                            })
                            .map(|(value, _)| value.clone())
                            .collect();
                        if mapped.is_empty() {
                            vec![name.clone()]
                        } else {
                            mapped
                        }
                    }
                };
                for value in values {
                    let variant = namer.claim(target.to_string());
                    let variant = crate::names::ident(&variant, &member_location)?;
                    // A discriminator's members are objects, never a union.
                    let ty = match discriminator {
                        Some(_) => quote! { #target },
                        None => union_member_type(spec, reference, target.clone()),
                    };
                    let value = discriminator.map(|_| value);
                    variants.push((variant, ty, value));
                }
            }
            ReferenceOr::Item(inner) => {
                let kind = kind_word(inner);
                let variant = namer.claim(kind.to_string());
                let member_naming = EnumName {
                    key: (
                        naming.key.0,
                        naming.key.1.clone(),
                        format!("{}/{keyword}[{index}]", naming.key.2),
                    ),
                    base: format!("{ident}{variant}"),
                };
                let ty = inline_type(spec, inner, &member_location, &member_naming, extra)?;
                let ty = if is_nullable(inner) {
                    quote! { Option<#ty> }
                } else {
                    ty
                };
                let variant = crate::names::ident(&variant, &member_location)?;
                variants.push((variant, ty, None));
            }
        }
        lax.resize(variants.len(), plain_string);
    }
    let Some(discriminator) = discriminator else {
        // poem reads a JSON number or boolean as a `String`: members that are plain
        // strings are tried last, or `3` would be read (and written back) as `"3"`.
        let mut order: Vec<usize> = (0..variants.len()).collect();
        order.sort_by_key(|&index| lax[index]);
        let variants = order.iter().map(|&index| {
            let (variant, ty, _) = &variants[index];
            quote! { #variant(#ty), }
        });
        return Ok(quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, poem_openapi::Union, serde::Serialize, serde::Deserialize)]
            #[oai(rename = #wire_name)]
            #[serde(untagged)]
            pub enum #ident { #(#variants)* }
        });
    };
    let property = &discriminator.property_name;
    let mut seen = std::collections::HashSet::new();
    for (_, _, value) in &variants {
        let value = value.as_deref().unwrap_or_default();
        if !seen.insert(value) {
            return Err(SpecError::new(
                format!("{location}.discriminator"),
                format!("`{value}` names two members"),
            ));
        }
    }
    let declared = variants.iter().map(|(variant, ty, value)| {
        quote! {
            #[oai(mapping = #value)]
            #variant(#ty),
        }
    });
    let written = variants.iter().map(|(variant, _, value)| {
        quote! { Self::#variant(inner) => (#value, serde_json::to_value(inner)), }
    });
    let read = variants.iter().map(|(variant, _, value)| {
        quote! {
            Some(#value) => serde_json::from_value(value)
                .map(Self::#variant)
                .map_err(serde::de::Error::custom),
        }
    });
    let unknown = format!("`{property}` names none of the members");
    Ok(quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, poem_openapi::Union)]
        #[oai(rename = #wire_name, discriminator_name = #property)]
        pub enum #ident { #(#declared)* }

        impl serde::Serialize for #ident {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                let (tag, value) = match self { #(#written)* };
                let mut value = value.map_err(serde::ser::Error::custom)?;
                if let Some(object) = value.as_object_mut() {
                    object.insert(#property.to_string(), serde_json::Value::from(tag));
                }
                serde::Serialize::serialize(&value, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for #ident {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                let tag = value.get(#property).and_then(serde_json::Value::as_str).map(str::to_owned);
                match tag.as_deref() {
                    #(#read)*
                    _ => Err(serde::de::Error::custom(#unknown)),
                }
            }
        }
    })
}

/// A word for a union member written inline, naming its variant.
fn kind_word(schema: &Schema) -> &'static str {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(_)) => "String",
        SchemaKind::Type(Type::Integer(_)) => "Integer",
        SchemaKind::Type(Type::Number(_)) => "Number",
        SchemaKind::Type(Type::Boolean(_)) => "Boolean",
        SchemaKind::Type(Type::Array(_)) => "Array",
        SchemaKind::Type(Type::Object(_)) => "Object",
        _ => "Value",
    }
}

/// The type of an element (array item, map value): a component, or an inline type,
/// in `Option` when it may be `null`.
fn element_type(
    spec: &Spec,
    schema: &ReferenceOr<Schema>,
    location: &str,
    naming: &EnumName,
    extra: &mut Vec<TokenStream>,
) -> Result<TokenStream> {
    let ty = match schema {
        ReferenceOr::Reference { reference } => {
            let ident = schema_ident(spec, reference, location)?;
            quote! { #ident }
        }
        ReferenceOr::Item(item) => inline_type(spec, item, location, naming, extra)?,
    };
    Ok(if admits_null(spec, schema, location)? {
        quote! { Option<#ty> }
    } else {
        ty
    })
}

/// The Rust type of an inline (non-`$ref`) schema; the types it needs (string enums,
/// objects, unions, named from `enum_name`) are pushed onto `extra`. Whether the schema
/// admits `null` is left to the caller (a property's `Option`).
pub fn inline_type(
    spec: &Spec,
    schema: &Schema,
    location: &str,
    enum_name: &EnumName,
    extra: &mut Vec<TokenStream>,
) -> Result<TokenStream> {
    reject_unsupported_data(schema, location)?;
    if let Some(reference) = single_ref(schema) {
        let ident = schema_ident(spec, reference, &format!("{location}.allOf[0]"))?;
        return Ok(quote! { #ident });
    }
    if let Some(shape) = object_shape(spec, schema, location, 0)? {
        return object_type(spec, schema, shape, location, enum_name, extra);
    }
    if let Some((members, discriminator)) = union_members(schema) {
        let ident = spec
            .names
            .late_type(enum_name.key.clone(), &enum_name.base, location)?;
        let name = ident.to_string();
        let item = union_enum(
            spec,
            &ident,
            &name,
            &members,
            discriminator,
            schema,
            location,
            enum_name,
            extra,
        )?;
        extra.push(item);
        return Ok(quote! { #ident });
    }
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            if string.enumeration.iter().any(Option::is_some) {
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
            Ok(string_type(&string.format))
        }
        SchemaKind::Type(Type::Integer(integer)) => Ok(match &integer.format {
            VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => quote! { i32 },
            // int64, none, or a format the generator does not know: the widest.
            _ => quote! { i64 },
        }),
        SchemaKind::Type(Type::Number(number)) => Ok(match &number.format {
            VariantOrUnknownOrEmpty::Item(NumberFormat::Float) => quote! { f32 },
            _ => quote! { f64 },
        }),
        SchemaKind::Type(Type::Boolean(_)) => Ok(quote! { bool }),
        SchemaKind::Type(Type::Array(array)) => {
            array_type(spec, array.items.as_ref(), location, enum_name, extra)
        }
        SchemaKind::AllOf { all_of } => all_of_type(spec, all_of, location, enum_name, extra),
        SchemaKind::Any(any) if !any.all_of.is_empty() => {
            all_of_type(spec, &any.all_of, location, enum_name, extra)
        }
        SchemaKind::Type(Type::Object(_)) => Err(SpecError::new(
            location,
            "generator bug: an object without a shape",
        )),
        SchemaKind::OneOf { .. } | SchemaKind::AnyOf { .. } => Err(SpecError::new(
            location,
            "generator bug: a union without members",
        )),
        // Any value but those matching the schema: any JSON value as far as Rust goes.
        SchemaKind::Not { .. } => Ok(quote! { serde_json::Value }),
        SchemaKind::Any(any) => any_type(spec, any, location, enum_name, extra),
    }
}

/// An `allOf` without objects (`allOf: [{type: string}, {maxLength: 3}]`): the type
/// of its one typed member (the others only constrain), or any JSON value.
fn all_of_type(
    spec: &Spec,
    members: &[ReferenceOr<Schema>],
    location: &str,
    enum_name: &EnumName,
    extra: &mut Vec<TokenStream>,
) -> Result<TokenStream> {
    for (index, member) in members.iter().enumerate() {
        let member_location = format!("{location}.allOf[{index}]");
        match member {
            ReferenceOr::Reference { reference } => {
                let ident = schema_ident(spec, reference, &member_location)?;
                return Ok(quote! { #ident });
            }
            ReferenceOr::Item(item) if !is_untyped_constraint(item) => {
                return inline_type(spec, item, &member_location, enum_name, extra);
            }
            ReferenceOr::Item(_) => {}
        }
    }
    Ok(quote! { serde_json::Value })
}

/// `type: array`: `Vec<T>` of its items; an array without `items` is read as an array
/// of any values (with a warning).
fn array_type(
    spec: &Spec,
    items: Option<&ReferenceOr<Box<Schema>>>,
    location: &str,
    enum_name: &EnumName,
    extra: &mut Vec<TokenStream>,
) -> Result<TokenStream> {
    let items_location = format!("{location}.items");
    let item = match items {
        None => {
            spec.warn(
                location,
                "an array without `items`: read as an array of any JSON values",
            );
            quote! { serde_json::Value }
        }
        // A string enum among the items keeps the array's name (`PetTags`); an object,
        // a union or a map gets `...Item` (`PetTagsItem`).
        Some(ReferenceOr::Item(item)) if !needs_item_name(item) => {
            let ty = inline_type(spec, item, &items_location, enum_name, extra)?;
            if is_nullable(item) {
                quote! { Option<#ty> }
            } else {
                ty
            }
        }
        Some(items) => {
            let naming = enum_name.child("items", "Item");
            element_type(spec, &unboxed(items), &items_location, &naming, extra)?
        }
    };
    Ok(quote! { Vec<#item> })
}

/// Whether an array's inline items make a type of their own named `...Item`.
fn needs_item_name(item: &Schema) -> bool {
    match &item.schema_kind {
        SchemaKind::Type(Type::String(_) | Type::Integer(_) | Type::Number(_))
        | SchemaKind::Type(Type::Boolean(_) | Type::Array(_))
        | SchemaKind::Not { .. } => false,
        SchemaKind::Any(any) => {
            !any.properties.is_empty()
                || any.typ.as_deref() == Some("object")
                || !any.one_of.is_empty()
                || !any.any_of.is_empty()
                || !any.all_of.is_empty()
                || any.additional_properties.is_some()
        }
        _ => true,
    }
}

/// The type of an object shape met inline: a struct named from `enum_name`, a map, or
/// any JSON object.
fn object_type(
    spec: &Spec,
    schema: &Schema,
    shape: ObjectShape,
    location: &str,
    enum_name: &EnumName,
    extra: &mut Vec<TokenStream>,
) -> Result<TokenStream> {
    if is_struct(&shape) {
        let ident = spec
            .names
            .late_type(enum_name.key.clone(), &enum_name.base, location)?;
        let name = ident.to_string();
        let item = object_struct(
            spec, &ident, &name, &shape, schema, location, enum_name, extra,
        )?;
        extra.push(item);
        return Ok(quote! { #ident });
    }
    if !shape.required.is_empty() {
        spec.warn(
            format!("{location}.required"),
            "`required` names properties the object does not define; ignored",
        );
    }
    match &shape.additional {
        Some(AdditionalProperties::Schema(value)) => {
            let value = element_type(
                spec,
                value,
                &format!("{location}.additionalProperties"),
                &enum_name.child("additionalProperties", "Value"),
                extra,
            )?;
            Ok(quote! { std::collections::HashMap<String, #value> })
        }
        // A free-form object (any JSON object), e.g. a whole document.
        _ => Ok(quote! { serde_json::Value }),
    }
}

/// The Rust type of a string of `format`: date-time, date and uuid have their own;
/// any other format (email, uri, byte as base64 text, binary, or one the generator does
/// not know) is a `String`, its value checked by the schema.
fn string_type(format: &VariantOrUnknownOrEmpty<StringFormat>) -> TokenStream {
    match format {
        VariantOrUnknownOrEmpty::Item(StringFormat::DateTime) => {
            quote! { chrono::DateTime<chrono::Utc> }
        }
        VariantOrUnknownOrEmpty::Item(StringFormat::Date) => quote! { chrono::NaiveDate },
        VariantOrUnknownOrEmpty::Unknown(format) if format == "uuid" => quote! { uuid::Uuid },
        _ => quote! { String },
    }
}

/// A schema that openapiv3 could not read as one `type`: no `type` at all (any value),
/// or a `type` with keywords of another (a spec mistake, read by its `type`).
fn any_type(
    spec: &Spec,
    any: &AnySchema,
    location: &str,
    enum_name: &EnumName,
    extra: &mut Vec<TokenStream>,
) -> Result<TokenStream> {
    let keys = any_keys(any);
    let Some(typ) = any.typ.as_deref() else {
        if any.items.is_some() {
            spec.warn(location, "`items` without `type: array`: read as an array");
            return array_type(spec, any.items.as_ref(), location, enum_name, extra);
        }
        // No type: any JSON value (keywords for one type do not constrain the others).
        return Ok(quote! { serde_json::Value });
    };
    spec.warn(
        location,
        format!(
            "keywords that do not fit `type: {typ}` ({}) are ignored",
            keys.join(", ")
        ),
    );
    Ok(match typ {
        "string" => {
            let format = match any.format.as_deref() {
                Some("date-time") => VariantOrUnknownOrEmpty::Item(StringFormat::DateTime),
                Some("date") => VariantOrUnknownOrEmpty::Item(StringFormat::Date),
                Some(other) => VariantOrUnknownOrEmpty::Unknown(other.to_string()),
                None => VariantOrUnknownOrEmpty::Empty,
            };
            string_type(&format)
        }
        "integer" if any.format.as_deref() == Some("int32") => quote! { i32 },
        "integer" => quote! { i64 },
        "number" => quote! { f64 },
        "boolean" => quote! { bool },
        "array" => array_type(spec, any.items.as_ref(), location, enum_name, extra)?,
        _ => quote! { serde_json::Value },
    })
}

fn reject_unsupported_data(schema: &Schema, location: &str) -> Result<()> {
    let data = &schema.schema_data;
    if data.discriminator.is_some() && union_members(schema).is_none() {
        return Err(SpecError::new(
            format!("{location}.discriminator"),
            "a discriminator is supported on a `oneOf` or `anyOf` of `$ref`s",
        ));
    }
    Ok(())
}

/// A `multipart/form-data` body of an object schema: a struct poem-openapi reads part by
/// part, a field per property under its wire name (see [`part_type`]). A property
/// the request may leave out is an `Option`; `additionalProperties: false` refuses
/// parts the schema does not name.
pub fn multipart_struct(
    spec: &Spec,
    ident: &proc_macro2::Ident,
    schema: &Schema,
    location: &str,
    naming: &EnumName,
    extra: &mut Vec<TokenStream>,
) -> Result<TokenStream> {
    reject_unsupported_data(schema, location)?;
    let shape = object_shape(spec, schema, location, 0)?
        .filter(is_struct)
        .ok_or_else(|| {
            SpecError::new(
                location,
                "a multipart body's schema must be an object whose properties are its parts",
            )
        })?;
    if let Some(AdditionalProperties::Schema(_)) = &shape.additional {
        return Err(SpecError::new(
            format!("{location}.additionalProperties"),
            "a multipart body's parts are named by its properties; parts of any other \
             name (`additionalProperties` with a schema) are not supported",
        ));
    }
    let closed = matches!(shape.additional, Some(AdditionalProperties::Any(false)));
    let deny = closed.then(|| quote! { #[oai(deny_unknown_fields)] });
    let doc = doc_attr(schema.schema_data.description.as_deref());
    let mut fields = Vec::new();
    let mut field_names = Namer::default();
    for (index, (prop, prop_schema)) in shape.properties.iter().enumerate() {
        let prop_location = format!("{location}.properties.{prop}");
        let field_name = field_names.name(prop, Case::Value, &fallback(prop, index, Case::Value));
        let field_ident = crate::names::ident(&field_name, &prop_location)?;
        let prop_naming = naming_from(
            ident,
            naming,
            prop,
            &convert(prop, Case::Type, &fallback(prop, index, Case::Type)),
        );
        let ty = part_type(spec, prop_schema, &prop_location, &prop_naming, extra)?;
        let required = shape.required.iter().any(|r| r == prop);
        let ty = if required {
            ty
        } else {
            quote! { Option<#ty> }
        };
        let field_doc = doc_attr(match prop_schema {
            ReferenceOr::Item(inner) => inner.schema_data.description.as_deref(),
            ReferenceOr::Reference { .. } => None,
        });
        fields.push(quote! {
            #field_doc
            #[oai(rename = #prop)]
            pub #field_ident: #ty,
        });
    }
    for required in &shape.required {
        if !shape.properties.contains_key(required) {
            spec.warn(
                format!("{location}.required"),
                format!("`{required}` is required but not among the properties; ignored"),
            );
        }
    }
    Ok(quote! {
        #doc
        #[derive(Debug, poem_openapi::Multipart)]
        #deny
        pub struct #ident { #(#fields)* }
    })
}

/// The type of one part of a multipart body: a `format: binary` string is a file
/// (`Upload`), an array of them several parts of that name; a scalar (string, number,
/// integer, boolean, string enum) is read from the part's text, an array of scalars
/// from repeated parts; anything else (an object, a component, a union) is JSON in
/// its part.
fn part_type(
    spec: &Spec,
    schema: &ReferenceOr<Schema>,
    location: &str,
    naming: &EnumName,
    extra: &mut Vec<TokenStream>,
) -> Result<TokenStream> {
    let json = |ty: TokenStream| quote! { poem_openapi::types::multipart::JsonField<#ty> };
    let inner = match schema {
        ReferenceOr::Reference { reference } => {
            let ident = schema_ident(spec, reference, location)?;
            return Ok(json(quote! { #ident }));
        }
        ReferenceOr::Item(inner) => inner,
    };
    if is_binary(&inner.schema_kind) {
        return Ok(quote! { poem_openapi::types::multipart::Upload });
    }
    if let SchemaKind::Type(Type::Array(array)) = &inner.schema_kind {
        let item_location = format!("{location}.items");
        match &array.items {
            Some(ReferenceOr::Item(item)) if is_binary(&item.schema_kind) => {
                return Ok(quote! { Vec<poem_openapi::types::multipart::Upload> });
            }
            Some(ReferenceOr::Item(item)) if is_scalar(item) => {
                let item_naming = naming.child("items", "Item");
                let ty = inline_type(spec, item, &item_location, &item_naming, extra)?;
                return Ok(quote! { Vec<#ty> });
            }
            _ => {}
        }
    }
    let ty = inline_type(spec, inner, location, naming, extra)?;
    Ok(if is_scalar(inner) { ty } else { json(ty) })
}

/// A string of `format: binary`: a file part, an upload, a binary response.
pub(crate) fn is_binary(kind: &SchemaKind) -> bool {
    matches!(
        kind,
        SchemaKind::Type(Type::String(string))
            if string.enumeration.is_empty()
                && matches!(string.format, VariantOrUnknownOrEmpty::Item(StringFormat::Binary))
    )
}

/// A schema whose value a part carries as plain text.
fn is_scalar(schema: &Schema) -> bool {
    matches!(
        &schema.schema_kind,
        SchemaKind::Type(Type::String(_) | Type::Integer(_) | Type::Number(_) | Type::Boolean(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> Spec {
        let doc = crate::parse(yaml).expect("a spec");
        Spec {
            names: crate::names::SpecNames::new(&doc).expect("names"),
            doc,
            runtime: syn::parse_str("apiary_runtime").expect("a path"),
            principal: syn::parse_str("apiary_runtime::Unverified").expect("a type"),
            problem_schema: Some("Problem".to_string()),
            middleware_headers: Vec::new(),
            warnings: std::cell::RefCell::default(),
        }
    }

    const DOC: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n\
        components:\n  schemas:\n    CreatePetRequest: {type: string}\n";

    /// What an operation passes for an inline request body.
    fn body_name() -> EnumName {
        EnumName {
            key: ("body", "createPet".to_string(), String::new()),
            base: "CreatePetRequest".to_string(),
        }
    }

    #[test]
    fn an_inline_body_object_is_named_from_the_base_and_never_takes_a_component_s_name() {
        let spec = spec(DOC);
        let schema: Schema = serde_yaml_ng::from_str(
            "{type: object, required: [name], properties: {name: {type: string}, \
             toy: {type: object, properties: {size: {type: integer}}}}}",
        )
        .expect("a schema");
        let mut extra = Vec::new();
        let location = "paths./pets.post.requestBody.content.application/json.schema";
        let ty = inline_type(&spec, &schema, location, &body_name(), &mut extra).expect("a type");
        assert_eq!(ty.to_string(), "CreatePetRequest2");
        let items = quote! { #(#extra)* }.to_string();
        assert!(items.contains("pub struct CreatePetRequest2Toy"), "{items}");
        assert!(items.contains("pub struct CreatePetRequest2 {"), "{items}");
        // Asked again (an operation sharing the handler): the same type, nothing new named.
        let again =
            inline_type(&spec, &schema, location, &body_name(), &mut Vec::new()).expect("a type");
        assert_eq!(again.to_string(), "CreatePetRequest2");
    }

    #[test]
    fn an_inline_array_body_names_its_items() {
        let spec = spec(DOC);
        let schema: Schema = serde_yaml_ng::from_str(
            "{type: array, items: {type: object, properties: {id: {type: integer}}}}",
        )
        .expect("a schema");
        let mut extra = Vec::new();
        let ty = inline_type(&spec, &schema, "x", &body_name(), &mut extra).expect("a type");
        assert_eq!(ty.to_string(), "Vec < CreatePetRequestItem >");
        assert!(spec.warnings.borrow().is_empty());
    }
}
