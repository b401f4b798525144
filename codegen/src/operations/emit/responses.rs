//! The response enum of each operation and the types responses share.

use proc_macro2::TokenStream;
use quote::quote;

use super::{helper_ident, response_ident};
use crate::error::Result;
use crate::operations::{Op, Payload, Status, negotiates};
use crate::{Spec, doc_attr};

pub(super) fn response_enum(spec: &Spec, op: &Op) -> Result<TokenStream> {
    let ident = response_ident(op);
    let runtime = &spec.runtime;
    let doc = doc_attr(Some(&format!("Every documented response of `{}`.", op.id)));
    let handler_name = &op.handler;
    let mut variants = Vec::new();
    let mut problem_arms = Vec::new();
    let mut internal_error = None;
    let mut range_arms = Vec::new();
    let mut range_checks = Vec::new();
    for variant in &op.responses {
        let name = &variant.ident;
        let vdoc = doc_attr(Some(&variant.description));
        let mut attrs = Vec::new();
        let mut fields = Vec::new();
        match variant.status {
            Status::Code(code) => {
                let status = proc_macro2::Literal::u16_unsuffixed(code);
                attrs.push(quote! { status = #status });
            }
            Status::Range(hundred) => {
                let range = format!("{hundred}XX");
                attrs.push(quote! { status_range = #range });
                fields.push(quote! { poem::http::StatusCode });
                let hundred = proc_macro2::Literal::u16_unsuffixed(hundred);
                let message = format!("`{}` answered {{}} as its {range} response", op.id);
                range_checks.push(quote! {
                    Self::#name(status, ..) if status.as_u16() / 100 != #hundred => {
                        Err(poem::Error::from_string(
                            format!(#message, status.as_u16()),
                            poem::http::StatusCode::INTERNAL_SERVER_ERROR,
                        ))
                    }
                });
            }
            Status::Default => fields.push(quote! { poem::http::StatusCode }),
        }
        if let Some(payload) = &variant.payload
            && content_type_attr(payload).is_some()
        {
            let ct = &payload.content_type;
            attrs.push(quote! { content_type = #ct });
        }
        match &variant.payload {
            Some(payload) => {
                let ty = &payload.ty;
                fields.push(quote! { #ty });
            }
            // The derive reads a `default` variant's second field as its content.
            None if variant.status == Status::Default => {
                let no_body = no_body_ident(spec);
                fields.push(quote! { #no_body });
            }
            None => {}
        }
        let mut header_values = Vec::new();
        for header in &variant.headers {
            let name = &header.name;
            let ty = &header.ty;
            let ty = if header.required {
                quote! { #ty }
            } else {
                quote! { Option<#ty> }
            };
            fields.push(quote! { #[oai(header = #name)] #ty });
            header_values.push(problem_header_value(runtime, &header.name, header.required));
        }
        let fields = if fields.is_empty() {
            quote! {}
        } else {
            quote! { (#(#fields),*) }
        };
        let attrs = if attrs.is_empty() {
            quote! {}
        } else {
            quote! { #[oai(#(#attrs),*)] }
        };
        variants.push(quote! {
            #vdoc
            #attrs
            #name #fields,
        });
        let is_problem = variant
            .payload
            .as_ref()
            .is_some_and(|p| p.schema.is_some() && p.schema == spec.problem_schema);
        if is_problem && header_values.iter().all(Option::is_some) {
            let values = header_values.into_iter().flatten();
            match variant.status {
                Status::Code(code) => {
                    let construct = quote! { Self::#name(Json(problem) #(, #values)*) };
                    if code == 500 {
                        internal_error = Some(construct.clone());
                    }
                    let status = proc_macro2::Literal::u16_unsuffixed(code);
                    problem_arms.push(quote! { #status => #construct, });
                }
                Status::Range(hundred) => {
                    let hundred = proc_macro2::Literal::u16_unsuffixed(hundred);
                    range_arms.push(quote! {
                        status if status / 100 == #hundred => match poem::http::StatusCode::from_u16(status) {
                            Ok(code) => Self::#name(code, Json(problem) #(, #values)*),
                            Err(_) => Self::from_problem(#runtime::Failure::from(
                                #runtime::UndocumentedProblem::undocumented(#handler_name, problem),
                            )),
                        },
                    });
                }
                Status::Default => {}
            }
        }
    }
    problem_arms.extend(range_arms);
    let check_status = (!range_checks.is_empty()).then(|| {
        quote! {
            impl #ident {
                /// This answer, or a 500 when a ranged variant carries a status outside
                /// its range (a bug in the handler).
                pub fn check_status(self) -> poem::Result<Self> {
                    match &self {
                        #(#range_checks)*
                        _ => Ok(self),
                    }
                }
            }
        }
    });
    let problem = match &spec.problem_schema {
        Some(name) if internal_error.is_some() => {
            Some(spec.names.schema(name, "(options.problem_schema)")?)
        }
        _ => None,
    };
    let from_problem = internal_error.zip(problem).map(|(internal, problem)| {
        quote! {
            impl #ident {
                /// Answers with the problem's status when this operation documents it;
                /// any other status is a bug in the handler and becomes a 500.
                pub fn from_problem(failure: impl Into<#runtime::Failure<#problem>>) -> Self {
                    let failure = failure.into();
                    let problem = failure.problem;
                    match problem.status as u16 {
                        #(#problem_arms)*
                        _ => {
                            let problem = #runtime::UndocumentedProblem::undocumented(#handler_name, problem);
                            #internal
                        }
                    }
                }
            }
        }
    });
    let media_type = media_type_method(op);
    Ok(quote! {
        #doc
        #[derive(Debug, poem_openapi::ApiResponse)]
        pub enum #ident { #(#variants)* }

        #from_problem
        #check_status
        #media_type
    })
}

/// For an operation whose handler chooses among media types: the media type of the
/// content it chose, which the adapter checks against the request's `Accept`.
fn media_type_method(op: &Op) -> Option<TokenStream> {
    if !negotiates(&op.responses) {
        return None;
    }
    let ident = response_ident(op);
    let mut arms = Vec::new();
    // The variants without content, when there are any (a catch-all arm would be
    // unreachable, a warning, where every variant has content).
    let mut without_content = false;
    for variant in &op.responses {
        let Some(payload) = &variant.payload else {
            without_content = true;
            continue;
        };
        let name = &variant.ident;
        if payload.variants.is_empty() {
            let ct = &payload.content_type;
            arms.push(quote! { Self::#name(..) => Some(#ct), });
            continue;
        }
        // A ranged or `default` variant's first field is its status.
        let pattern = match variant.status {
            Status::Code(_) => quote! { Self::#name(content, ..) },
            Status::Range(_) | Status::Default => quote! { Self::#name(_, content, ..) },
        };
        let content = &payload.ty;
        let choices = payload.variants.iter().map(|(choice, payload)| {
            let ct = &payload.content_type;
            quote! { #content::#choice(..) => Some(#ct), }
        });
        arms.push(quote! { #pattern => match content { #(#choices)* }, });
    }
    let rest = without_content.then(|| quote! { _ => None, });
    Some(quote! {
        impl #ident {
            /// The media type of this answer's content; None when it has none.
            pub fn media_type(&self) -> Option<&'static str> {
                match self {
                    #(#arms)*
                    #rest
                }
            }
        }
    })
}

/// The content of a response with several media types: a variant per media type, the
/// handler picks one.
pub(in crate::operations) fn response_content_enum(
    ident: &proc_macro2::Ident,
    payloads: &[(proc_macro2::Ident, Payload)],
) -> TokenStream {
    let variants = payloads.iter().map(|(name, payload)| {
        let ty = &payload.ty;
        let content_type = content_type_attr(payload);
        let doc = format!(" `{}`", payload.content_type);
        quote! {
            #[doc = #doc]
            #content_type
            #name(#ty),
        }
    });
    quote! {
        /// The media types of one response; the handler picks one.
        #[derive(Debug, poem_openapi::ResponseContent)]
        pub enum #ident { #(#variants)* }
    }
}

/// `#[oai(content_type = ...)]` for a payload whose type does not set it itself.
fn content_type_attr(payload: &Payload) -> Option<TokenStream> {
    // JSON is the derives' default; a range's or `image/*`'s value names the exact type.
    (payload.content_type != "application/json"
        && payload.range.is_none()
        && payload.variants.is_empty()
        && payload.content_type != "image/*")
        .then(|| {
            let ct = &payload.content_type;
            quote! { #[oai(content_type = #ct)] }
        })
}

/// The content of a `default` response the spec gives no content.
fn no_body_ident(spec: &Spec) -> proc_macro2::Ident {
    helper_ident(spec, "no body", "NoBody")
}

/// Whether an operation has a ranged response, whose status the adapter checks.
pub(super) fn has_range(op: &Op) -> bool {
    op.responses
        .iter()
        .any(|r| matches!(r.status, Status::Range(_)))
}

/// The types shared by the operations' responses: the content of a `default` response
/// without content, and one type per media range answered (the value names the exact
/// media type).
pub(super) fn shared_response_types(spec: &Spec, ops: &[&Op]) -> Vec<TokenStream> {
    let mut items = Vec::new();
    let variants = || ops.iter().flat_map(|op| &op.responses);
    if variants().any(|v| v.status == Status::Default && v.payload.is_none()) {
        let ident = no_body_ident(spec);
        items.push(quote! {
            /// No content: a `default` response the spec documents without a body.
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub struct #ident;

            impl poem::IntoResponse for #ident {
                fn into_response(self) -> poem::Response {
                    poem::Response::default()
                }
            }

            impl poem_openapi::ResponseContent for #ident {
                fn media_types() -> Vec<poem_openapi::registry::MetaMediaType> {
                    Vec::new()
                }
            }
        });
    }
    let mut seen = std::collections::HashSet::new();
    let payloads = variants()
        .filter_map(|v| v.payload.as_ref())
        .flat_map(|p| std::iter::once(p).chain(p.variants.iter().map(|(_, p)| p)));
    for (range, ident) in payloads.filter_map(|p| p.range.as_ref()) {
        if !seen.insert(ident.to_string()) {
            continue;
        }
        let doc = format!(" A `{range}` answer: the value names its exact media type.");
        let (body, schema) = if range == "text/*" {
            (
                quote! { String },
                quote! { poem_openapi::registry::MetaSchema::new("string") },
            )
        } else {
            (
                quote! { Vec<u8> },
                quote! { poem_openapi::registry::MetaSchema::new_with_format("string", "binary") },
            )
        };
        items.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, PartialEq, Eq)]
            pub struct #ident {
                pub content_type: String,
                pub body: #body,
            }

            impl poem_openapi::payload::Payload for #ident {
                const CONTENT_TYPE: &'static str = #range;

                fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
                    poem_openapi::registry::MetaSchemaRef::Inline(Box::new(#schema))
                }
            }

            impl poem::IntoResponse for #ident {
                fn into_response(self) -> poem::Response {
                    poem::Response::builder()
                        .content_type(self.content_type)
                        .body(self.body)
                }
            }
        });
    }
    items
}

/// How `from_problem` fills a header of a problem response, or None when it cannot.
fn problem_header_value(
    runtime: &impl quote::ToTokens,
    name: &str,
    required: bool,
) -> Option<TokenStream> {
    let value = if name.eq_ignore_ascii_case("WWW-Authenticate") {
        quote! { "Bearer".to_string() }
    } else if name.eq_ignore_ascii_case("Retry-After") {
        quote! { #runtime::retry_after(failure.retry_after_secs) }
    } else {
        return (!required).then(|| quote! { None });
    };
    Some(if required {
        value
    } else {
        quote! { Some(#value) }
    })
}
