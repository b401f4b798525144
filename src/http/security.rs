//! The security headers every response carries, set by the middleware:
//!
//! - `X-Content-Type-Options: nosniff`: a browser takes the declared type, never a guess
//!   (an upload's variant is never run as a script or a page);
//! - `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`: no page may frame ours;
//! - `Referrer-Policy: no-referrer`: URLs (ids in paths) do not leak to other sites;
//! - `Content-Security-Policy`: `default-src 'none'` on every API answer (nothing in a
//!   JSON body or an image may load or run anything); on `/docs` the Swagger UI page's own
//!   inline scripts, by their SHA-256 hashes, its inline styles, images from itself and
//!   `data:`/`blob:` URLs, and calls to this server ("Try it out");
//! - `Cache-Control: no-store` on every answer of an operation that takes a token, unless
//!   the handler chose its own: what one user sees is kept by no cache on the way.

use base64::Engine;
use poem::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest, Sha256};

use crate::generated::OperationMeta;

/// The policy of every answer but the documentation page.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The operation serving the Swagger UI page.
const DOCS_OPERATION: &str = "getDocs";

/// The headers, with the documentation page's policy computed once from the page.
pub struct SecurityHeaders {
    docs_policy: HeaderValue,
}

impl SecurityHeaders {
    /// The headers for a service whose `/docs` page is `docs_html`.
    pub fn new(docs_html: &str) -> Self {
        let docs_policy = HeaderValue::from_str(&docs_policy(docs_html))
            .expect("a policy of ASCII tokens and base64 hashes is a valid header value");
        Self { docs_policy }
    }

    /// Sets the headers on an answer of `operation` (`None`: no operation matched).
    pub fn apply(&self, operation: Option<&OperationMeta>, headers: &mut HeaderMap) {
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        let policy = if operation.is_some_and(|op| op.operation_id == DOCS_OPERATION) {
            self.docs_policy.clone()
        } else {
            HeaderValue::from_static(API_POLICY)
        };
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        if operation.is_some_and(|op| op.secured) && !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

/// The policy of the Swagger UI page: its inline scripts by hash (no other script runs),
/// its inline styles, its icons (`data:`) and images it shows from answers (`blob:`).
fn docs_policy(html: &str) -> String {
    let scripts: Vec<String> = inline_scripts(html)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    format!(
        "default-src 'none'; script-src {}; style-src 'unsafe-inline'; \
         img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'",
        scripts.join(" ")
    )
}

/// The text of each `<script>` element of `html`, as the browser hashes it.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        let start = rest.find("<script")?;
        let open_end = start + rest[start..].find('>')? + 1;
        let close = open_end + rest[open_end..].find("</script>")?;
        let script = &rest[open_end..close];
        rest = &rest[close..];
        Some(script)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::OPERATIONS;
    use poem::http::Method;

    fn answer_of(operation: Option<&OperationMeta>, headers: &mut HeaderMap) {
        SecurityHeaders::new("<script>a()</script>").apply(operation, headers);
    }

    fn op(method: Method, path: &str) -> &'static OperationMeta {
        crate::http::routing::find_operation(&method, path).expect("an operation")
    }

    #[test]
    fn every_answer_is_never_sniffed_framed_or_referred() {
        for operation in [None, Some(op(Method::GET, "/healthz"))] {
            let mut headers = HeaderMap::new();
            answer_of(operation, &mut headers);
            assert_eq!(headers["x-content-type-options"], "nosniff");
            assert_eq!(headers["x-frame-options"], "DENY");
            assert_eq!(headers["referrer-policy"], "no-referrer");
            assert_eq!(headers["content-security-policy"], API_POLICY);
        }
    }

    #[test]
    fn answers_of_operations_taking_a_token_are_not_stored() {
        for (method, path) in [
            (Method::GET, "/v1/account"),
            (Method::GET, "/v2/account"),
            (Method::PATCH, "/v1/account/preferences"),
            (Method::GET, "/v1/images/x/variants/thumb"),
        ] {
            let mut headers = HeaderMap::new();
            answer_of(Some(op(method, path)), &mut headers);
            assert_eq!(headers["cache-control"], "no-store", "{path}");
        }
        let mut public = HeaderMap::new();
        answer_of(Some(op(Method::GET, "/v1/products")), &mut public);
        assert!(!public.contains_key("cache-control"));
        let mut own = HeaderMap::new();
        own.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
        answer_of(Some(op(Method::GET, "/v1/account")), &mut own);
        assert_eq!(
            own["cache-control"], "private",
            "a handler's own choice stays"
        );
        assert!(OPERATIONS.iter().any(|op| op.secured));
    }

    #[test]
    fn the_docs_page_runs_its_own_scripts_and_nothing_else() {
        let html = crate::http::docs_html();
        let headers = SecurityHeaders::new(&html);
        let mut answer = HeaderMap::new();
        headers.apply(Some(op(Method::GET, "/docs")), &mut answer);
        let policy = answer["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let directive = |name: &str| {
            policy
                .split(';')
                .map(str::trim)
                .find_map(|d| d.strip_prefix(name).map(str::to_owned))
                .unwrap_or_else(|| panic!("no {name} in {policy}"))
        };
        // The page has two script elements: the Swagger UI bundle (which itself holds
        // the text `<script`, so the element ends at the first `</script>`, as the
        // browser reads it) and the start-up script with the spec. Each is allowed by
        // its hash.
        let bodies: Vec<&str> = inline_scripts(&html).collect();
        assert_eq!(bodies.len(), 2, "the bundle and the start-up script");
        assert!(bodies[0].len() > 1_000_000, "the whole bundle");
        assert!(
            bodies[1].contains("SwaggerUIBundle({"),
            "the start-up script"
        );
        assert!(bodies[1].contains("correct-horse-7"), "with the spec");
        assert_eq!(html.matches("</script>").count(), 2);
        let scripts = directive("script-src ");
        for body in bodies {
            assert!(html.contains(&format!(">{body}</script>")));
            let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body));
            assert!(scripts.contains(&format!("'sha256-{hash}'")), "{scripts}");
        }
        assert_eq!(scripts.split(' ').count(), 2, "{scripts}");
        assert!(!scripts.contains("unsafe"), "{scripts}");
        assert_eq!(directive("default-src "), "'none'");
        assert_eq!(directive("frame-ancestors "), "'none'");
        assert_eq!(directive("connect-src "), "'self'");
        assert_eq!(answer["x-frame-options"], "DENY");
    }
}
