//! Security: which schemes an operation accepts (one, several at once, alternatives of
//! either, anonymous access beside them) and the scopes it requires of each, read from
//! the spec; and the generated extractors, one per scheme and scope list, whose checker
//! takes the credential from where the scheme says and hands it, with the scheme's name
//! and the scopes, to the application's principal type (the runtime's `Authenticate`).
//! Every extractor an operation uses is wrapped in the runtime's `Challenged`, so that
//! its 401s name each scheme it accepts in `WWW-Authenticate`.

use openapiv3::{APIKeyLocation, Operation, ReferenceOr, SecurityRequirement, SecurityScheme};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::error::{Result, SpecError};
use crate::names::{Case, Namer, convert};
use crate::{Spec, doc_attr};

mod all;
mod challenges;
mod scopes;
use scopes::Scopes;

/// One scheme an operation accepts, with the scopes it requires of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub scheme: String,
    pub scopes: Vec<String>,
}

/// What an operation requires of a request before its handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    /// One scheme: the handler gets the principal its credential stands for.
    One(Requirement),
    /// Several schemes at once (AND), in the spec's order: the handler gets a struct of
    /// their principals.
    All(Vec<Requirement>),
    /// Alternatives (OR), each one scheme or several at once, perhaps with anonymous
    /// access beside them: the handler gets an enum saying which alternative the
    /// request satisfied, with its principals, or `Anonymous`.
    AnyOf {
        alternatives: Vec<Vec<Requirement>>,
        anonymous: bool,
    },
}

impl Security {
    /// Every scheme use the operation names, alternatives one after another.
    pub fn requirements(&self) -> Vec<&Requirement> {
        match self {
            Self::One(requirement) => vec![requirement],
            Self::All(requirements) => requirements.iter().collect(),
            Self::AnyOf { alternatives, .. } => alternatives.iter().flatten().collect(),
        }
    }
}

/// The operation's security requirements (its own `security`, else the spec's), or
/// None when it is open to anyone.
pub fn read(spec: &Spec, op: &Operation, location: &str) -> Result<Option<Security>> {
    let Some(requirements) = op.security.as_ref().or(spec.doc.security.as_ref()) else {
        return Ok(None);
    };
    let location = format!("{location}.security");
    let mut alternatives: Vec<Vec<Requirement>> = Vec::new();
    let mut anonymous = false;
    for (index, requirement) in requirements.iter().enumerate() {
        let requirement = read_requirement(spec, requirement, &format!("{location}[{index}]"))?;
        if requirement.is_empty() {
            anonymous = true;
        } else if !alternatives.contains(&requirement) {
            alternatives.push(requirement);
        }
    }
    Ok(match (alternatives.len(), anonymous) {
        (0, _) => None,
        (1, false) => {
            let mut requirements = alternatives.pop().unwrap_or_default();
            if requirements.len() == 1 {
                requirements.pop().map(Security::One)
            } else {
                Some(Security::All(requirements))
            }
        }
        _ => Some(Security::AnyOf {
            alternatives,
            anonymous,
        }),
    })
}

/// One requirement object: the schemes it names, all of them required (none for `{}`,
/// anonymous access).
fn read_requirement(
    spec: &Spec,
    requirement: &SecurityRequirement,
    location: &str,
) -> Result<Vec<Requirement>> {
    let mut schemes = Vec::new();
    for (scheme, scopes) in requirement {
        let known = spec
            .doc
            .components
            .as_ref()
            .is_some_and(|c| c.security_schemes.contains_key(scheme));
        if !known {
            return Err(SpecError::new(
                location,
                format!("no security scheme `{scheme}` in components.securitySchemes"),
            ));
        }
        schemes.push(Requirement {
            scheme: scheme.clone(),
            scopes: scopes.clone(),
        });
    }
    Ok(schemes)
}

/// How a scheme carries its credential: the poem-openapi derive's arguments, the
/// credential type its checker receives, and the runtime `Credential` made of it.
struct Carrier {
    args: TokenStream,
    input: TokenStream,
    credential: TokenStream,
}

fn carrier(spec: &Spec, scopes: &Scopes, name: &str) -> Result<Carrier> {
    let location = format!("components.securitySchemes.{name}");
    let runtime = &spec.runtime;
    let scheme = spec
        .doc
        .components
        .as_ref()
        .and_then(|c| c.security_schemes.get(name));
    let bearer = || Carrier {
        args: quote! { ty = "bearer" },
        input: quote! { poem_openapi::auth::Bearer },
        credential: quote! { #runtime::Credential::Bearer(credential.token) },
    };
    match scheme {
        Some(ReferenceOr::Item(SecurityScheme::HTTP {
            scheme,
            bearer_format,
            ..
        })) => {
            if scheme.eq_ignore_ascii_case("bearer") {
                let mut carrier = bearer();
                if let Some(format) = bearer_format {
                    carrier.args = quote! { ty = "bearer", bearer_format = #format };
                }
                Ok(carrier)
            } else if scheme.eq_ignore_ascii_case("basic") {
                Ok(Carrier {
                    args: quote! { ty = "basic" },
                    input: quote! { poem_openapi::auth::Basic },
                    credential: quote! {
                        #runtime::Credential::Basic {
                            username: credential.username,
                            password: credential.password,
                        }
                    },
                })
            } else {
                Err(SpecError::new(
                    format!("{location}.scheme"),
                    format!("the http scheme `{scheme}` is not supported; bearer and basic are"),
                ))
            }
        }
        Some(ReferenceOr::Item(SecurityScheme::APIKey {
            location: key_in,
            name: key_name,
            ..
        })) => {
            if !is_token(key_name) {
                return Err(SpecError::new(
                    format!("{location}.name"),
                    format!(
                        "`{key_name}` is not a name an API key can be sent under (letters, \
                         digits and !#$%&'*+-.^_`|~)"
                    ),
                ));
            }
            let key_in = match key_in {
                APIKeyLocation::Header => "header",
                APIKeyLocation::Query => "query",
                APIKeyLocation::Cookie => "cookie",
            };
            Ok(Carrier {
                args: quote! { ty = "api_key", key_in = #key_in, key_name = #key_name },
                input: quote! { poem_openapi::auth::ApiKey },
                credential: quote! { #runtime::Credential::ApiKey(credential.key) },
            })
        }
        Some(ReferenceOr::Item(SecurityScheme::OAuth2 { flows, .. })) => {
            let mut list = Vec::new();
            let refresh =
                |url: &Option<String>| url.as_ref().map(|u| quote! { , refresh_url = #u });
            if let Some(flow) = &flows.implicit {
                let auth = &flow.authorization_url;
                let refresh = refresh(&flow.refresh_url);
                let scopes = scopes.flow_arg(name, "implicit");
                list.push(quote! { implicit(authorization_url = #auth #refresh #scopes) });
            }
            if let Some(flow) = &flows.password {
                let token = &flow.token_url;
                let refresh = refresh(&flow.refresh_url);
                let scopes = scopes.flow_arg(name, "password");
                list.push(quote! { password(token_url = #token #refresh #scopes) });
            }
            if let Some(flow) = &flows.client_credentials {
                let token = &flow.token_url;
                let refresh = refresh(&flow.refresh_url);
                let scopes = scopes.flow_arg(name, "client_credentials");
                list.push(quote! { client_credentials(token_url = #token #refresh #scopes) });
            }
            if let Some(flow) = &flows.authorization_code {
                let auth = &flow.authorization_url;
                let token = &flow.token_url;
                let refresh = refresh(&flow.refresh_url);
                let scopes = scopes.flow_arg(name, "authorization_code");
                list.push(quote! {
                    authorization_code(authorization_url = #auth, token_url = #token #refresh #scopes)
                });
            }
            if list.is_empty() {
                return Err(SpecError::new(
                    format!("{location}.flows"),
                    "an oauth2 scheme needs at least one flow",
                ));
            }
            let mut carrier = bearer();
            carrier.args = quote! { ty = "oauth2", flows(#(#list),*) };
            Ok(carrier)
        }
        Some(ReferenceOr::Item(SecurityScheme::OpenIDConnect {
            open_id_connect_url,
            ..
        })) => {
            let mut carrier = bearer();
            carrier.args =
                quote! { ty = "openid_connect", openid_connect_url = #open_id_connect_url };
            Ok(carrier)
        }
        Some(ReferenceOr::Reference { .. }) => Err(SpecError::new(
            location,
            "a security scheme must be defined here, not a `$ref` to another",
        )),
        None => Err(SpecError::new(
            location,
            format!("no security scheme `{name}` in components.securitySchemes"),
        )),
    }
}

/// Whether `name` is an HTTP token (RFC 9110), which poem accepts as a header name and
/// which is a safe query parameter or cookie name.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The generated extractors: one per scheme and scope list some operation uses, one
/// struct per list of schemes required at once, and one enum per handler with
/// alternatives; each with its `WWW-Authenticate` challenges.
pub struct Generated {
    pub items: TokenStream,
    /// Per operation, in the order of the operations given: how its security reaches
    /// its handler (None when it has none).
    pub per_op: Vec<Option<OpAuth>>,
}

/// How one operation's security reaches its handler.
#[derive(Clone)]
pub struct OpAuth {
    /// What the adapter extracts.
    pub extractor: TokenStream,
    /// What the handler gets.
    pub handler_ty: TokenStream,
    /// How the handler's value is taken out of the extracted one.
    pub take: TokenStream,
    /// The extractor parameter's attribute naming the required scopes, so that the
    /// derived document states them (empty when none are required).
    pub scopes_attr: TokenStream,
}

pub fn generate(spec: &Spec, ops: &[crate::operations::Op]) -> Result<Generated> {
    let runtime = &spec.runtime;
    let principal = &spec.principal;
    let mut per_op = Vec::new();
    let mut enums: Vec<(String, Ident)> = Vec::new();
    let scopes = Scopes::build(spec, ops)?;
    let mut types = Types::default();
    for op in ops {
        let handler = op.handler.as_str();
        let Some(security) = &op.security else {
            per_op.push(None);
            continue;
        };
        let location = format!("paths.{}.{}.security", op.path, op.method);
        match security {
            Security::One(requirement) => {
                let ident = types.use_of(spec, &scopes, requirement, &location)?;
                per_op.push(Some(OpAuth {
                    extractor: quote! { #runtime::Challenged<#ident> },
                    handler_ty: quote! { #principal },
                    take: quote! { auth.into_inner().0 },
                    scopes_attr: scopes.required(requirement),
                }));
            }
            Security::All(requirements) => {
                let ident = types.all_of(spec, &scopes, requirements, &location)?;
                per_op.push(Some(OpAuth {
                    extractor: quote! { #runtime::Challenged<#ident> },
                    handler_ty: quote! { #ident },
                    take: quote! { auth.into_inner() },
                    // The derived document would give each scheme the same scopes.
                    scopes_attr: TokenStream::new(),
                }));
            }
            Security::AnyOf {
                alternatives,
                anonymous,
            } => {
                let mut variants = Vec::new();
                let mut variant_names = Namer::with_reserved(&["Anonymous"]);
                for alternative in alternatives {
                    let (ident, text) = match alternative.as_slice() {
                        [requirement] => (
                            types.use_of(spec, &scopes, requirement, &location)?,
                            format!(
                                "The request satisfied `{}`{}.",
                                requirement.scheme,
                                scopes_note(&requirement.scopes)
                            ),
                        ),
                        _ => (
                            types.all_of(spec, &scopes, alternative, &location)?,
                            format!(
                                "The request satisfied {}, all of them.",
                                names_of(alternative)
                            ),
                        ),
                    };
                    let schemes: Vec<&str> =
                        alternative.iter().map(|r| r.scheme.as_str()).collect();
                    let variant = variant_names.name(&schemes.join(" and "), Case::Type, "Scheme");
                    let variant = crate::names::ident(&variant, &location)?;
                    let doc = doc_attr(Some(&text));
                    variants.push(quote! { #doc #variant(#ident), });
                }
                if *anonymous {
                    variants.push(quote! {
                        /// The request satisfied none of the schemes; the operation allows
                        /// anonymous access.
                        #[oai(fallback)]
                        Anonymous,
                    });
                }
                let enum_ident = match enums.iter().find(|(h, _)| h == handler) {
                    Some((_, ident)) => ident.clone(),
                    None => {
                        let base = format!("{}Auth", convert(handler, Case::Type, "Operation"));
                        let ident = spec.names.late_type(
                            ("security", handler.to_string(), String::new()),
                            &base,
                            &location,
                        )?;
                        let doc = doc_attr(Some(&format!(
                            "Which of `{handler}`'s security requirements the request \
                             satisfied, tried in the spec's order."
                        )));
                        let challenges =
                            challenges::implement(spec, &ident, alternatives.iter().flatten());
                        types.items.push(quote! {
                            #doc
                            #[derive(poem_openapi::SecurityScheme)]
                            pub enum #ident { #(#variants)* }

                            #challenges
                        });
                        enums.push((handler.to_string(), ident.clone()));
                        ident
                    }
                };
                // The derived document gives every alternative the same scope list:
                // it states the scopes when the alternatives are one scheme each and
                // agree on them.
                let first = &alternatives[0][0];
                let agree = alternatives
                    .iter()
                    .all(|a| a.len() == 1 && a[0].scopes == first.scopes);
                let scoped = alternatives.iter().flatten().any(|r| !r.scopes.is_empty());
                if !agree && scoped {
                    spec.warn(
                        location.clone(),
                        "the alternatives require different scopes; each is checked, but \
                         the served document lists none of them",
                    );
                }
                per_op.push(Some(OpAuth {
                    extractor: quote! { #runtime::Challenged<#enum_ident> },
                    handler_ty: quote! { #enum_ident },
                    take: quote! { auth.into_inner() },
                    scopes_attr: if agree {
                        scopes.required(first)
                    } else {
                        TokenStream::new()
                    },
                }));
            }
        }
    }
    let scope_enums = &scopes.items;
    let types = types.items;
    Ok(Generated {
        items: quote! { #scope_enums #(#types)* },
        per_op,
    })
}

/// The extractor types generated so far: one per scheme and scope list, one per list
/// of schemes required at once.
#[derive(Default)]
struct Types {
    uses: Vec<(Requirement, Ident)>,
    alls: Vec<(Vec<Requirement>, Ident)>,
    items: Vec<TokenStream>,
}

impl Types {
    fn use_of(
        &mut self,
        spec: &Spec,
        scopes: &Scopes,
        requirement: &Requirement,
        location: &str,
    ) -> Result<Ident> {
        if let Some((_, ident)) = self.uses.iter().find(|(r, _)| r == requirement) {
            return Ok(ident.clone());
        }
        let ident = scheme_use_ident(spec, requirement, location)?;
        self.items
            .push(scheme_use(spec, scopes, requirement, &ident)?);
        self.uses.push((requirement.clone(), ident.clone()));
        Ok(ident)
    }

    /// Several schemes at once: a struct of their principals.
    fn all_of(
        &mut self,
        spec: &Spec,
        scopes: &Scopes,
        requirements: &[Requirement],
        location: &str,
    ) -> Result<Ident> {
        if let Some((_, ident)) = self.alls.iter().find(|(r, _)| r == requirements) {
            return Ok(ident.clone());
        }
        let mut members = Vec::new();
        for requirement in requirements {
            members.push((
                requirement,
                self.use_of(spec, scopes, requirement, location)?,
            ));
        }
        let ident = all::ident(spec, &members, location)?;
        self.items
            .push(all::generate(spec, &members, &ident, location)?);
        self.alls.push((requirements.to_vec(), ident.clone()));
        spec.warn(
            location,
            format!(
                "the served document lists {} as alternatives (poem-openapi states no \
                 requirement of several schemes at once); each is required",
                names_of(requirements)
            ),
        );
        Ok(ident)
    }
}

/// `a`, `a` and `b`, `a`, `b` and `c`: the schemes of `requirements`, for messages.
fn names_of(requirements: &[Requirement]) -> String {
    let names: Vec<String> = requirements
        .iter()
        .map(|r| format!("`{}`{}", r.scheme, scopes_note(&r.scopes)))
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

fn scopes_note(scopes: &[String]) -> String {
    if scopes.is_empty() {
        String::new()
    } else {
        let scopes: Vec<String> = scopes.iter().map(|s| format!("`{s}`")).collect();
        format!(" with the scopes {}", scopes.join(", "))
    }
}

/// The extractor of a scheme without scopes is named after the scheme; with scopes,
/// after the scheme and its scopes (numbered when that is taken or too long to read).
fn scheme_use_ident(spec: &Spec, requirement: &Requirement, location: &str) -> Result<Ident> {
    let scheme = spec.names.scheme(&requirement.scheme, location)?;
    if requirement.scopes.is_empty() {
        return Ok(scheme);
    }
    let words = convert(&requirement.scopes.join(" "), Case::Type, "Scopes");
    let words = if words.len() > 40 {
        "Scopes".to_string()
    } else {
        words
    };
    let key = (
        "scheme-use",
        requirement.scheme.clone(),
        requirement.scopes.join(" "),
    );
    spec.names
        .late_type(key, &format!("{scheme}{words}"), location)
}

fn scheme_use(
    spec: &Spec,
    scopes: &Scopes,
    requirement: &Requirement,
    ident: &Ident,
) -> Result<TokenStream> {
    let runtime = &spec.runtime;
    let principal = &spec.principal;
    let name = &requirement.scheme;
    let Carrier {
        args,
        input,
        credential,
    } = carrier(spec, scopes, name)?;
    let description = spec
        .doc
        .components
        .as_ref()
        .and_then(|c| c.security_schemes.get(name))
        .and_then(|scheme| match scheme {
            ReferenceOr::Item(
                SecurityScheme::HTTP { description, .. }
                | SecurityScheme::APIKey { description, .. }
                | SecurityScheme::OAuth2 { description, .. }
                | SecurityScheme::OpenIDConnect { description, .. },
            ) => description.clone(),
            ReferenceOr::Reference { .. } => None,
        });
    let mut text = format!(
        "The security scheme `{name}`{}.",
        scopes_note(&requirement.scopes)
    );
    if let Some(description) = description {
        text.push_str("\n\n");
        text.push_str(&description);
    }
    let doc = doc_attr(Some(&text));
    let scopes = &requirement.scopes;
    // The derive takes the checker's path as a string literal.
    let checker = format!("{ident}::check");
    let challenges = challenges::implement(spec, ident, [requirement]);
    Ok(quote! {
        #doc
        #[derive(poem_openapi::SecurityScheme)]
        #[oai(rename = #name, #args, checker = #checker)]
        pub struct #ident(pub #principal);

        impl #ident {
            /// Hands the credential to the principal type, with the scheme's name and
            /// the scopes the operation requires.
            async fn check(
                req: &#runtime::poem::Request,
                credential: #input,
            ) -> #runtime::poem::Result<#principal> {
                #runtime::authenticate::<#principal>(req, #name, #credential, &[#(#scopes),*]).await
            }
        }

        #challenges
    })
}

#[cfg(test)]
mod tests {
    use super::is_token;

    #[test]
    fn api_key_names_are_http_tokens() {
        assert!(is_token("X-API-Key"));
        assert!(is_token("api_key"));
        assert!(!is_token(""));
        assert!(!is_token("api key"));
        assert!(!is_token("key:1"));
    }
}
