//! What parameters need beyond poem-openapi's extractors: the validators their schemas
//! ask for, and the extractor of `simple` arrays.

use proc_macro2::TokenStream;
use quote::quote;

use super::helper_ident;
use crate::Spec;
use crate::operations::{Op, Validator};

/// The comma-separated extractor of `simple` arrays in the path or a header.
pub(super) fn simple_array_ident(spec: &Spec) -> proc_macro2::Ident {
    helper_ident(spec, "simple array", "SimpleArray")
}

/// The extractor of `simple` arrays (`a,b,c`), when an operation has one.
pub(super) fn simple_array_type(spec: &Spec, ops: &[&Op]) -> Option<TokenStream> {
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

/// A validator as poem-openapi's `#[oai(validator(...))]` writes it.
pub(super) fn validator(validator: &Validator) -> TokenStream {
    match validator {
        Validator::MaxItems(max) => quote! { max_items = #max },
        Validator::MinItems(min) => quote! { min_items = #min },
        Validator::UniqueItems => quote! { unique_items },
        Validator::MaxLength(max) => quote! { max_length = #max },
        Validator::MinLength(min) => quote! { min_length = #min },
        Validator::Maximum { value, exclusive } => {
            quote! { maximum(value = #value, exclusive = #exclusive) }
        }
        Validator::Minimum { value, exclusive } => {
            quote! { minimum(value = #value, exclusive = #exclusive) }
        }
        Validator::Pattern(ident) => {
            let custom = format!("&{ident}");
            quote! { custom = #custom }
        }
    }
}
