//! The `WWW-Authenticate` challenge of each scheme an operation accepts, sent with its
//! 401s: `Bearer` for http bearer, oauth2 and openIdConnect (with `scope="..."` when
//! the operation requires scopes, RFC 6750), `Basic realm="..."` for http basic (the
//! spec's title, RFC 7617), and `ApiKey name="...", in="..."` for apiKey schemes, which
//! have no registered challenge: a 401 must carry at least one (RFC 9110), and this one
//! says where the key goes.

use openapiv3::{APIKeyLocation, ReferenceOr, SecurityScheme};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::Requirement;
use crate::Spec;

/// `impl Challenges for #ident`: the challenges of `requirements`, in order, each once.
pub fn implement<'r>(
    spec: &Spec,
    ident: &Ident,
    requirements: impl IntoIterator<Item = &'r Requirement>,
) -> TokenStream {
    let runtime = &spec.runtime;
    let mut list: Vec<String> = Vec::new();
    for challenge in requirements.into_iter().filter_map(|r| challenge(spec, r)) {
        if !list.contains(&challenge) {
            list.push(challenge);
        }
    }
    quote! {
        impl #runtime::Challenges for #ident {
            const CHALLENGES: &'static [&'static str] = &[#(#list),*];
        }
    }
}

/// The challenge of `requirement`'s scheme; None for a scheme the carrier refuses.
fn challenge(spec: &Spec, requirement: &Requirement) -> Option<String> {
    let name = &requirement.scheme;
    let scheme = spec
        .doc
        .components
        .as_ref()
        .and_then(|c| c.security_schemes.get(name))?;
    let bearer = || {
        let tokens = requirement.scopes.iter().all(|s| is_scope_token(s));
        if requirement.scopes.is_empty() || !tokens {
            "Bearer".to_string()
        } else {
            format!("Bearer scope=\"{}\"", requirement.scopes.join(" "))
        }
    };
    match scheme {
        ReferenceOr::Item(SecurityScheme::HTTP { scheme, .. }) => {
            if scheme.eq_ignore_ascii_case("basic") {
                Some(format!("Basic realm=\"{}\"", quoted(&realm(spec, name))))
            } else {
                // A bearer token carries no scopes of its own in http bearer.
                Some("Bearer".to_string())
            }
        }
        ReferenceOr::Item(SecurityScheme::OAuth2 { .. } | SecurityScheme::OpenIDConnect { .. }) => {
            Some(bearer())
        }
        ReferenceOr::Item(SecurityScheme::APIKey {
            location,
            name: key,
            ..
        }) => {
            let key_in = match location {
                APIKeyLocation::Header => "header",
                APIKeyLocation::Query => "query",
                APIKeyLocation::Cookie => "cookie",
            };
            Some(format!("ApiKey name=\"{}\", in=\"{key_in}\"", quoted(key)))
        }
        ReferenceOr::Reference { .. } => None,
    }
}

/// The realm of a basic scheme: the spec's title, or the scheme's name when the title
/// holds characters a header cannot (anything but visible ASCII and spaces).
fn realm(spec: &Spec, scheme: &str) -> String {
    let title = spec.doc.info.title.trim();
    if !title.is_empty() && title.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        title.to_string()
    } else {
        scheme
            .chars()
            .filter(|c| *c == ' ' || c.is_ascii_graphic())
            .collect()
    }
}

/// `text` as the inside of an HTTP quoted-string.
fn quoted(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Whether `scope` is an RFC 6749 scope-token (visible ASCII but `"` and `\`), which
/// can be listed in `scope="..."`; otherwise the challenge names no scopes.
fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
}

#[cfg(test)]
mod tests {
    use super::{is_scope_token, quoted};

    #[test]
    fn quoted_strings_escape_quotes_and_backslashes() {
        assert_eq!(quoted(r#"My "API" \ v1"#), r#"My \"API\" \\ v1"#);
    }

    #[test]
    fn scope_tokens_are_visible_ascii_without_quotes() {
        assert!(is_scope_token("write:pets"));
        assert!(!is_scope_token("write pets"));
        assert!(!is_scope_token("a\"b"));
        assert!(!is_scope_token(""));
    }
}
