//! A requirement naming several schemes at once (AND): a struct with one field per
//! scheme (the scheme's name in snake case) holding the principal its credential stands
//! for. Its extractor runs each scheme's own extractor in the spec's order, so each
//! credential is checked by the application's `Authenticate` with its own `Presented`,
//! and the first refusal answers the request.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{Requirement, challenges, names_of, scopes_note};
use crate::error::Result;
use crate::names::{Case, Namer};
use crate::{Spec, doc_attr};

/// The struct's name: its schemes' extractor names joined by `And`
/// (`ApiKeyAndPetstoreAuthWritePets`), numbered when that is taken.
pub fn ident(spec: &Spec, members: &[(&Requirement, Ident)], location: &str) -> Result<Ident> {
    let names: Vec<String> = members.iter().map(|(_, ident)| ident.to_string()).collect();
    let key: Vec<String> = members
        .iter()
        .map(|(r, _)| format!("{}:{}", r.scheme, r.scopes.join(" ")))
        .collect();
    spec.names.late_type(
        ("security-all", key.join(","), String::new()),
        &names.join("And"),
        location,
    )
}

pub fn generate(
    spec: &Spec,
    members: &[(&Requirement, Ident)],
    ident: &Ident,
    location: &str,
) -> Result<TokenStream> {
    let runtime = &spec.runtime;
    let principal = &spec.principal;
    let mut fields = Vec::new();
    let mut extract = Vec::new();
    let mut field_names = Namer::with_reserved(&[]);
    let mut registers = Vec::new();
    for (requirement, extractor) in members {
        let field = field_names.name(&requirement.scheme, Case::Value, "scheme");
        let field = crate::names::ident(&field, location)?;
        let doc = doc_attr(Some(&format!(
            "The principal of `{}`{}.",
            requirement.scheme,
            scopes_note(&requirement.scopes)
        )));
        fields.push(quote! { #doc pub #field: #principal, });
        // Each scheme's extractor is a newtype of its principal; the fields of a struct
        // expression are evaluated in the order written.
        extract.push(quote! {
            #field: <#extractor as poem_openapi::ApiExtractor>::from_request(
                request,
                body,
                param_opts.clone(),
            )
            .await?
            .0,
        });
        registers.push(extractor);
    }
    let requirements: Vec<Requirement> = members.iter().map(|(r, _)| (*r).clone()).collect();
    let doc = doc_attr(Some(&format!(
        "The principals of a request that satisfied {}, all of them.",
        names_of(&requirements)
    )));
    let challenges = challenges::implement(spec, ident, &requirements);
    Ok(quote! {
        #doc
        pub struct #ident { #(#fields)* }

        impl<'a> poem_openapi::ApiExtractor<'a> for #ident {
            const TYPES: &'static [poem_openapi::ApiExtractorType] =
                &[poem_openapi::ApiExtractorType::SecurityScheme];

            type ParamType = ();
            type ParamRawType = ();

            fn register(registry: &mut poem_openapi::registry::Registry) {
                #(<#registers as poem_openapi::ApiExtractor>::register(registry);)*
            }

            fn security_schemes() -> Vec<&'static str> {
                let mut schemes = Vec::new();
                #(schemes.extend(<#registers as poem_openapi::ApiExtractor>::security_schemes());)*
                schemes
            }

            async fn from_request(
                request: &'a #runtime::poem::Request,
                body: &mut #runtime::poem::RequestBody,
                param_opts: poem_openapi::ExtractParamOptions<()>,
            ) -> #runtime::poem::Result<Self> {
                Ok(Self { #(#extract)* })
            }
        }

        #challenges
    })
}
