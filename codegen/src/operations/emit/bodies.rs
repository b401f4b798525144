//! How request bodies reach the handler: the types it gets, the extractors that read
//! them, and the types those extractors need.

use proc_macro2::TokenStream;
use quote::quote;

use super::body_readers::{json_media_type, raw_body_type};
use super::helper_ident;
use crate::Spec;
use crate::operations::{BodyKind, OAUTH2_ERROR_FORMAT, Op, Status};

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

/// The type the handler gets for a request body.
pub(super) fn handler_type(kind: &BodyKind, runtime: &syn::Path) -> TokenStream {
    match kind {
        BodyKind::Json(ty) => quote! { #ty },
        BodyKind::Form { ty, .. } | BodyKind::InlineJson { ty, .. } => ty.clone(),
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
pub(super) fn body_extractor(
    kind: &BodyKind,
    op: &Op,
    runtime: &syn::Path,
) -> (TokenStream, TokenStream) {
    match kind {
        BodyKind::Json(ty) => (quote! { SpecJson<#ty> }, quote! { .0 }),
        BodyKind::InlineJson { wrapper, .. } => (quote! { SpecJson<#wrapper> }, quote! { .0.0 }),
        BodyKind::Form { ty, schema, .. } => {
            let refusal = op.form_refusal();
            (quote! { SpecForm<#ty, #refusal, #schema> }, quote! { .0 })
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

/// The extractor of an optional request body.
pub(super) fn optional_body_ident(spec: &Spec) -> proc_macro2::Ident {
    helper_ident(spec, "optional body", "OptionalBody")
}

/// The types request bodies need: a wrapper per inline JSON schema, bound to its place
/// in the spec, and the extractor of optional bodies.
pub(super) fn body_types(spec: &Spec, ops: &[&Op]) -> Vec<TokenStream> {
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
                // Operations sharing a handler share its form's type.
                BodyKind::Form { schema, media, .. } if raw_seen.insert(schema.to_string()) => {
                    let runtime = &spec.runtime;
                    let doc = format!(
                        " The form body at `{media}`: its schema and how its fields are written."
                    );
                    items.push(quote! {
                        #[doc = #doc]
                        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
                        pub struct #schema;

                        impl #runtime::FormSchema for #schema {
                            const MEDIA: &'static str = #media;

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
