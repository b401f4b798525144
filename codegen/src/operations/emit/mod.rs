//! Writing the Rust items of the read operations: the tag traits, their adapters, and
//! the types they need.

mod bodies;
mod body_readers;
mod params;
mod responses;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Op, Param, ParamIn, negotiates};
use crate::error::Result;
use crate::{Spec, doc_attr};
use bodies::{body_extractor, body_types, handler_type, optional_body_ident};
use params::{simple_array_ident, simple_array_type, validator};
pub(super) use responses::response_content_enum;
use responses::{has_range, response_enum, shared_response_types};

/// The Rust items of every operation: response enums, tag traits and their adapters.
pub fn generate_operations(spec: &Spec, ops: &[Op]) -> Result<TokenStream> {
    let runtime = &spec.runtime;
    let security = crate::security::generate(spec, ops)?;
    let auth_of = |op: &Op| {
        ops.iter()
            .position(|o| std::ptr::eq(o, op))
            .and_then(|index| security.per_op[index].as_ref())
    };
    let mut items = vec![security.items.clone()];
    let firsts: Vec<&Op> = ops
        .iter()
        .enumerate()
        .filter(|(i, op)| !ops[..*i].iter().any(|o| o.handler == op.handler))
        .map(|(_, op)| op)
        .collect();
    items.extend(shared_response_types(spec, &firsts));
    items.extend(body_types(spec, &firsts));
    items.extend(simple_array_type(spec, &firsts));
    for op in &firsts {
        items.extend(op.extra.iter().cloned());
        items.push(response_enum(spec, op)?);
    }
    let mut tag_idents = Vec::new();
    for (index, tag) in spec.doc.tags.iter().enumerate() {
        let tag_ops: Vec<&Op> = ops.iter().filter(|op| op.tag == tag.name).collect();
        if tag_ops.is_empty() {
            continue;
        }
        let names = spec.names.tag(&tag.name, &format!("tags[{index}]"))?;
        let trait_ident = names.api.clone();
        let adapter_ident = names.adapter.clone();
        let methods = tag_ops
            .iter()
            .filter(|op| firsts.iter().any(|f| std::ptr::eq(*f, **op)))
            .map(|op| trait_method(op, ops, runtime, auth_of(op)));
        let mut adapters = Vec::new();
        for op in &tag_ops {
            adapters.push(adapter_method(spec, op, auth_of(op))?);
        }
        let trait_doc = doc_attr(Some(&format!(
            "The operations tagged `{}`{}",
            tag.name,
            tag.description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )));
        let adapter_doc = doc_attr(Some(&format!(
            "Routes the `{}` operations to a [`{trait_ident}`] implementation.",
            tag.name
        )));
        items.push(quote! {
            #trait_doc
            pub trait #trait_ident: Send + Sync + 'static {
                #(#methods)*
            }

            #adapter_doc
            pub struct #adapter_ident<T>(pub std::sync::Arc<T>);

            #[poem_openapi::OpenApi]
            impl<T: #trait_ident> #adapter_ident<T> {
                #(#adapters)*
            }
        });
        tag_idents.push((trait_ident, adapter_ident));
    }
    let bounds = tag_idents.iter().map(|(t, _)| t);
    let adapter_types = openapi_tuple(tag_idents.iter().map(|(_, a)| quote! { #a<I> }).collect());
    let adapter_values = openapi_tuple(
        tag_idents
            .iter()
            .map(|(_, a)| quote! { #a(std::sync::Arc::clone(&imp)) })
            .collect(),
    );
    items.push(quote! {
        /// Every tag's adapter, ready for `poem_openapi::OpenApiService::new`.
        pub type ApiAdapters<I> = #adapter_types;

        /// Wraps one implementation of every tag trait into the adapters that route to it.
        pub fn api_adapters<I: #(#bounds)+*>(imp: std::sync::Arc<I>) -> ApiAdapters<I> {
            #adapter_values
        }
    });
    Ok(quote! { #(#items)* })
}

/// The static `SpecParam` that reads a parameter from the raw request.
fn param_static(param: &Param) -> proc_macro2::Ident {
    format_ident!(
        "PARAMETER_{}",
        param
            .ident
            .to_string()
            .trim_start_matches("r#")
            .to_uppercase()
    )
}

/// Adapters (types or values) grouped as poem-openapi combines APIs: tuples of 2 to 16
/// (it has no 1-tuple and no longer ones), nested when there are more; one adapter alone.
fn openapi_tuple(mut items: Vec<TokenStream>) -> TokenStream {
    const WIDEST: usize = 16;
    if items.len() == 1 {
        return items.pop().expect("one adapter");
    }
    if items.len() > WIDEST {
        let groups: Vec<TokenStream> = items
            .chunks(WIDEST)
            .map(|group| openapi_tuple(group.to_vec()))
            .collect();
        return openapi_tuple(groups);
    }
    quote! { (#(#items),*) }
}

/// The name of a helper type the generated code declares once, when it needs it.
fn helper_ident(spec: &Spec, what: &str, base: &str) -> proc_macro2::Ident {
    spec.names
        .late_type(
            ("helper", what.to_string(), String::new()),
            base,
            "(generated code)",
        )
        .expect("a late type name is always found")
}

fn method_ident(op: &Op) -> proc_macro2::Ident {
    op.handler_ident.clone()
}

fn response_ident(op: &Op) -> proc_macro2::Ident {
    op.response_ident.clone()
}

fn op_doc(op: &Op) -> TokenStream {
    let mut text = op.summary.clone();
    if let Some(description) = &op.description {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(description.trim_end());
    }
    doc_attr(Some(&text))
}

fn trait_method(
    op: &Op,
    ops: &[Op],
    runtime: &syn::Path,
    auth: Option<&crate::security::OpAuth>,
) -> TokenStream {
    let ident = method_ident(op);
    let response = response_ident(op);
    let mut doc = op_doc(op);
    let routes: Vec<String> = ops
        .iter()
        .filter(|o| o.handler == op.handler)
        .map(|o| format!("`{} {}` ({})", o.method.to_uppercase(), o.path, o.id))
        .collect();
    let serves = format!("Serves {}.", routes.join(", "));
    doc.extend(doc_attr(Some(&format!("\n{serves}"))));
    let mut args = Vec::new();
    if let Some(auth) = auth {
        let ty = &auth.handler_ty;
        args.push(quote! { auth: #ty });
    }
    if negotiates(&op.responses) {
        args.push(quote! { accept: #runtime::Accept });
    }
    for param in &op.params {
        let name = &param.ident;
        let ty = &param.ty;
        if param.required || param.default.is_some() {
            args.push(quote! { #name: #ty });
        } else {
            args.push(quote! { #name: Option<#ty> });
        }
    }
    if let Some(body) = &op.body {
        let ty = handler_type(&body.kind, runtime);
        if body.required {
            args.push(quote! { body: #ty });
        } else {
            args.push(quote! { body: Option<#ty> });
        }
    }
    quote! {
        #doc
        fn #ident(&self, #(#args),*) -> impl std::future::Future<Output = #response> + Send;
    }
}

fn adapter_method(
    spec: &Spec,
    op: &Op,
    auth: Option<&crate::security::OpAuth>,
) -> Result<TokenStream> {
    let location = format!("paths.{}.{}", op.path, op.method);
    let ident = &op.adapter_ident;
    let handler = method_ident(op);
    let response = response_ident(op);
    let doc = op_doc(op);
    let poem_path = op
        .path
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => segment.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/");
    let method = &op.method;
    let op_id = &op.id;
    let tag = format!(
        "ApiTags::{}",
        spec.names
            .tag(&op.tag, &format!("{location}.tags"))?
            .variant
    );
    let deprecated = op.deprecated.then(|| quote! { , deprecated });
    let mut params = Vec::new();
    let mut call = Vec::new();
    if let Some(auth) = auth {
        let extractor = &auth.extractor;
        let take = &auth.take;
        let scopes = &auth.scopes_attr;
        params.push(quote! { #scopes auth: #extractor });
        call.push(take.clone());
    }
    let runtime = &spec.runtime;
    let negotiates = negotiates(&op.responses);
    if negotiates {
        call.push(quote! { accept.clone() });
    }
    if negotiates || op.params.iter().any(|p| p.raw.is_some()) {
        params.push(quote! { request: &poem::Request });
    }
    let mut statics = Vec::new();
    for param in op.params.iter().filter(|p| p.raw.is_some()) {
        let raw = param.raw.as_ref().expect("a raw parameter");
        let name = &param.name;
        let ident = param_static(param);
        let location = format_ident!(
            "{}",
            match param.location {
                ParamIn::Path => "Path",
                ParamIn::Query => "Query",
                ParamIn::Header => "Header",
                ParamIn::Cookie => "Cookie",
            }
        );
        let style = format_ident!("{}", raw.style);
        let explode = raw.explode;
        let required = param.required;
        let pointer = &raw.pointer;
        // The keys an exploded query object must leave to the other parameters.
        let others = op
            .params
            .iter()
            .filter(|_| param.location == ParamIn::Query && raw.style == "Form")
            .filter(|p| p.location == ParamIn::Query && p.name != param.name)
            .map(|p| &p.name);
        statics.push(quote! {
            static #ident: #runtime::SpecParam = #runtime::SpecParam::new(#runtime::ParamSpec {
                name: #name,
                location: #runtime::ParamIn::#location,
                style: #runtime::ParamStyle::#style,
                explode: #explode,
                required: #required,
                pointer: #pointer,
                others: &[#(#others),*],
            });
        });
    }
    for param in &op.params {
        let name = &param.ident;
        let wire = &param.name;
        let ty = &param.ty;
        if param.raw.is_some() {
            let ident = param_static(param);
            call.push(match (&param.default, param.required) {
                (_, true) => quote! { #ident.read_required(request, &SPEC_DOCUMENT)? },
                (Some(default), false) => quote! {
                    #ident.read(request, &SPEC_DOCUMENT)?.unwrap_or_else(|| #default)
                },
                (None, false) => quote! { #ident.read(request, &SPEC_DOCUMENT)? },
            });
            continue;
        }
        let wrapper = match param.location {
            ParamIn::Path => quote! { poem_openapi::param::Path },
            ParamIn::Query => quote! { poem_openapi::param::Query },
            ParamIn::Header => quote! { poem_openapi::param::Header },
            ParamIn::Cookie => quote! { poem_openapi::param::Cookie },
        };
        let ty = match &param.simple_items {
            Some(item) => {
                let simple = simple_array_ident(spec);
                quote! { #simple<#item> }
            }
            None => quote! { #ty },
        };
        let full_ty = if param.required {
            quote! { #wrapper<#ty> }
        } else {
            quote! { #wrapper<Option<#ty>> }
        };
        let validators = if param.validators.is_empty() {
            quote! {}
        } else {
            let v = param.validators.iter().map(validator);
            quote! { , validator(#(#v),*) }
        };
        let doc = doc_attr(param.description.as_deref());
        params.push(quote! {
            #doc
            #[oai(name = #wire #validators)] #name: #full_ty
        });
        match (&param.default, &param.simple_items) {
            (Some(default), _) => call.push(quote! { #name.0.unwrap_or_else(|| #default) }),
            (None, None) => call.push(quote! { #name.0 }),
            (None, Some(_)) if param.required => call.push(quote! { #name.0.0 }),
            (None, Some(_)) => call.push(quote! { #name.0.map(|items| items.0) }),
        }
    }
    if let Some(body) = &op.body {
        // The extractor, and how the handler's value is taken out of it.
        let (extractor, value) = body_extractor(&body.kind, op, &spec.runtime);
        if body.required {
            params.push(quote! { body: #extractor });
            call.push(quote! { body #value });
        } else {
            let optional = optional_body_ident(spec);
            params.push(quote! { body: #optional<#extractor> });
            call.push(quote! { body.0.map(|body| body #value) });
        }
    }
    if negotiates {
        // The handler chose the media type; one the request's `Accept` excludes is a 406.
        let checked = if has_range(op) {
            quote! { answer.check_status() }
        } else {
            quote! { Ok(answer) }
        };
        return Ok(quote! {
            #doc
            #[oai(path = #poem_path, method = #method, operation_id = #op_id, tag = #tag #deprecated)]
            async fn #ident(&self, #(#params),*) -> poem::Result<#response> {
                #(#statics)*
                let accept = #runtime::Accept::from_request(request);
                let answer = self.0.#handler(#(#call),*).await;
                if let Some(media_type) = answer.media_type() {
                    if !accept.admits(media_type) {
                        return Err(#runtime::not_acceptable(media_type).into());
                    }
                }
                #checked
            }
        });
    }
    let (output, answer) = match (has_range(op), statics.is_empty()) {
        (true, _) => (
            quote! { poem::Result<#response> },
            quote! { self.0.#handler(#(#call),*).await.check_status() },
        ),
        // A parameter the runtime refuses is answered before the handler runs.
        (false, false) => (
            quote! { poem::Result<#response> },
            quote! { Ok(self.0.#handler(#(#call),*).await) },
        ),
        (false, true) => (
            quote! { #response },
            quote! { self.0.#handler(#(#call),*).await },
        ),
    };
    Ok(quote! {
        #doc
        #[oai(path = #poem_path, method = #method, operation_id = #op_id, tag = #tag #deprecated)]
        async fn #ident(&self, #(#params),*) -> #output {
            #(#statics)*
            #answer
        }
    })
}
