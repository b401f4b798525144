//! Scopes as poem-openapi `OAuthScopes` enums, so that the document the server derives
//! states what the spec does: the scopes each oauth2 flow offers, and the scopes each
//! operation requires. One enum per scheme holds every scope its flows declare and its
//! operations require; a flow whose scopes are not exactly those gets an enum of its own.

use std::collections::BTreeMap;

use openapiv3::{OAuth2Flows, ReferenceOr, SecurityScheme};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{Requirement, Security};
use crate::error::{Result, SpecError};
use crate::names::{Case, convert, ident, variant_names};
use crate::{Spec, doc_attr};

/// The generated scope enums, and how flows and operations name them.
#[derive(Default)]
pub struct Scopes {
    pub items: TokenStream,
    schemes: BTreeMap<String, SchemeScopes>,
}

struct SchemeScopes {
    /// The enum of every scope the scheme knows, with each scope's variant.
    all: ScopeEnum,
    /// Per flow (`password`, ...) with scopes: the enum its `scopes` argument names.
    flows: BTreeMap<&'static str, Ident>,
}

struct ScopeEnum {
    ident: Ident,
    variants: Vec<(String, Ident)>,
}

/// A scheme's flows, in the order the derive takes them, with their scopes.
fn flows(flows: &OAuth2Flows) -> Vec<(&'static str, &indexmap::IndexMap<String, String>)> {
    let mut list = Vec::new();
    if let Some(flow) = &flows.implicit {
        list.push(("implicit", &flow.scopes));
    }
    if let Some(flow) = &flows.password {
        list.push(("password", &flow.scopes));
    }
    if let Some(flow) = &flows.client_credentials {
        list.push(("client_credentials", &flow.scopes));
    }
    if let Some(flow) = &flows.authorization_code {
        list.push(("authorization_code", &flow.scopes));
    }
    list
}

impl Scopes {
    /// The enums for every scheme that declares scopes or of which an operation
    /// requires some. A required scope that no flow of an oauth2 scheme declares is
    /// accepted with a warning.
    pub fn build(spec: &Spec, ops: &[crate::operations::Op]) -> Result<Self> {
        let mut required: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for op in ops {
            let requirements = op.security.as_ref().map(Security::requirements);
            for requirement in requirements.into_iter().flatten() {
                let list = required.entry(requirement.scheme.as_str()).or_default();
                for scope in &requirement.scopes {
                    if !list.contains(&scope.as_str()) {
                        list.push(scope);
                    }
                }
            }
        }
        let Some(components) = &spec.doc.components else {
            return Ok(Self::default());
        };
        let mut scopes = Self::default();
        let mut items = Vec::new();
        for (name, scheme) in &components.security_schemes {
            let location = format!("components.securitySchemes.{name}");
            let declared = match scheme {
                ReferenceOr::Item(SecurityScheme::OAuth2 { flows: f, .. }) => flows(f),
                _ => Vec::new(),
            };
            let mut all: Vec<(&str, Option<&str>)> = Vec::new();
            for (_, flow_scopes) in &declared {
                for (scope, description) in flow_scopes.iter() {
                    if !all.iter().any(|(s, _)| s == scope) {
                        all.push((scope, Some(description)));
                    }
                }
            }
            for scope in required.get(name.as_str()).into_iter().flatten() {
                if !all.iter().any(|(s, _)| s == scope) {
                    if !declared.is_empty() {
                        spec.warn(
                            location.clone(),
                            format!("an operation requires the scope `{scope}`, which no flow of `{name}` declares"),
                        );
                    }
                    all.push((scope, None));
                }
            }
            if all.is_empty() {
                continue;
            }
            let scheme_ident = spec.names.scheme(name, &location)?;
            let all_enum = scope_enum(
                spec,
                ("scopes", name.clone(), String::new()),
                &format!("{scheme_ident}Scopes"),
                &format!("The scopes of the security scheme `{name}`."),
                &all,
                &location,
                &mut items,
            )?;
            let mut flow_enums = BTreeMap::new();
            for (flow, flow_scopes) in declared {
                if flow_scopes.is_empty() {
                    continue;
                }
                let same = flow_scopes.len() == all.len()
                    && flow_scopes.keys().zip(&all).all(|(a, (b, _))| a == b);
                let enum_ident = if same {
                    all_enum.ident.clone()
                } else {
                    let list: Vec<(&str, Option<&str>)> = flow_scopes
                        .iter()
                        .map(|(s, d)| (s.as_str(), Some(d.as_str())))
                        .collect();
                    scope_enum(
                        spec,
                        ("scopes", name.clone(), flow.to_string()),
                        &format!("{scheme_ident}{}Scopes", convert(flow, Case::Type, "Flow")),
                        &format!("The scopes the `{flow}` flow of `{name}` offers."),
                        &list,
                        &location,
                        &mut items,
                    )?
                    .ident
                };
                flow_enums.insert(flow, enum_ident);
            }
            scopes.schemes.insert(
                name.clone(),
                SchemeScopes {
                    all: all_enum,
                    flows: flow_enums,
                },
            );
        }
        scopes.items = quote! { #(#items)* };
        Ok(scopes)
    }

    /// The `scopes = "..."` argument of a flow of `scheme`, when the flow has scopes.
    pub fn flow_arg(&self, scheme: &str, flow: &str) -> Option<TokenStream> {
        let ident = self.schemes.get(scheme)?.flows.get(flow)?.to_string();
        Some(quote! { , scopes = #ident })
    }

    /// The operation parameter's attribute naming the scopes `requirement` requires
    /// (nothing when it requires none).
    pub fn required(&self, requirement: &Requirement) -> TokenStream {
        let Some(scheme) = self.schemes.get(&requirement.scheme) else {
            return TokenStream::new();
        };
        // The derive takes each scope as `scope = "Enum::Variant"`.
        let paths = requirement.scopes.iter().filter_map(|scope| {
            let (_, variant) = scheme.all.variants.iter().find(|(s, _)| s == scope)?;
            Some(format!("{}::{variant}", scheme.all.ident))
        });
        if requirement.scopes.is_empty() {
            return TokenStream::new();
        }
        quote! { #[oai(#(scope = #paths),*)] }
    }
}

fn scope_enum(
    spec: &Spec,
    key: (&'static str, String, String),
    base: &str,
    doc: &str,
    scopes: &[(&str, Option<&str>)],
    location: &str,
    items: &mut Vec<TokenStream>,
) -> Result<ScopeEnum> {
    let enum_ident = spec.names.late_type(key, base, location)?;
    let names = variant_names(scopes.iter().map(|(s, _)| *s));
    let mut variants = Vec::new();
    let mut tokens = Vec::new();
    for ((scope, description), name) in scopes.iter().zip(names) {
        let variant = ident(&name, location)
            .map_err(|e| SpecError::new(location, format!("scope `{scope}`: {}", e.message)))?;
        let doc = doc_attr(description.filter(|d| !d.is_empty()));
        tokens.push(quote! {
            #doc
            #[oai(rename = #scope)]
            #variant,
        });
        variants.push((scope.to_string(), variant));
    }
    let doc = doc_attr(Some(doc));
    items.push(quote! {
        #doc
        #[derive(poem_openapi::OAuthScopes)]
        pub enum #enum_ident { #(#tokens)* }
    });
    Ok(ScopeEnum {
        ident: enum_ident,
        variants,
    })
}
