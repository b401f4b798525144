//! Generated readers of request bodies poem-openapi has no payload for: JSON under
//! another media type than `application/json`, and text or bytes taken as they come.

use proc_macro2::TokenStream;
use quote::quote;

use crate::Spec;

/// A JSON media type other than `application/json` (`merge-patch+json`): the body is
/// read as `SpecJson` reads it, under that `Content-Type`.
pub(super) fn json_media_type(media: &proc_macro2::Ident, essence: &str) -> TokenStream {
    let doc = format!(" A `{essence}` request body, read and checked as JSON.");
    let request_object = request_object(essence);
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
            #request_object

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
pub(super) fn raw_body_type(
    spec: &Spec,
    raw: &proc_macro2::Ident,
    essence: &str,
    text: bool,
) -> TokenStream {
    let runtime = &spec.runtime;
    let request_object = request_object(essence);
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
            #request_object

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

/// The `ApiExtractor` items of a body reader of one media type: it reads the request
/// body, documented as that media type.
fn request_object(essence: &str) -> TokenStream {
    quote! {
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
    }
}
