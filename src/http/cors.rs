//! Cross-origin access for browsers (`CORS_ALLOWED_ORIGINS`). Off by default: no CORS
//! header at all. On, a preflight (`OPTIONS` with `Origin` and
//! `Access-Control-Request-Method`) on a path of the spec is answered 204 here, with the
//! allow headers only when the origin is listed and the spec has the method at that
//! path; other answers to a listed origin name it in `Access-Control-Allow-Origin` and
//! expose the headers clients read. A wildcard never allows credentials.

use poem::{
    Request, Response,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
};

use super::routing;
use crate::config::AllowedOrigins;
use crate::error::ApiError;
use poem::error::ResponseError;

/// Request headers a page may send besides the CORS-safelisted ones.
const ALLOWED_HEADERS: &str =
    "Authorization, Content-Type, If-None-Match, X-API-Version, X-Request-Id";

/// Response headers a page may read besides the CORS-safelisted ones.
const EXPOSED_HEADERS: &str = "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, \
     Retry-After, X-Request-Id, X-API-Version, Deprecation, Sunset, Link, Location, ETag";

/// How long, in seconds, a browser may reuse a preflight's answer.
const MAX_AGE_SECS: &str = "600";

/// The CORS policy of a listener.
pub struct Cors {
    origins: AllowedOrigins,
}

impl Cors {
    pub fn new(origins: AllowedOrigins) -> Self {
        Self { origins }
    }

    pub fn enabled(&self) -> bool {
        self.origins != AllowedOrigins::None
    }

    /// Whether `req` is a preflight this policy answers.
    pub fn is_preflight(&self, req: &Request) -> bool {
        self.enabled()
            && req.method() == Method::OPTIONS
            && req.headers().contains_key(header::ORIGIN)
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    }

    /// The answer to a preflight: 404 for a path the spec lacks, else 204, allowing the
    /// request only for a listed origin and a method the spec has at the path.
    pub fn preflight(&self, req: &Request) -> Response {
        let methods = routing::methods_at(req.uri().path());
        if methods.is_empty() {
            return ApiError::new(
                StatusCode::NOT_FOUND,
                "Nothing is served here at this path.",
            )
            .as_response();
        }
        let mut response = Response::builder().status(StatusCode::NO_CONTENT).finish();
        let headers = response.headers_mut();
        headers.insert(
            header::VARY,
            HeaderValue::from_static(
                "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
            ),
        );
        let requested = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|m| m.to_str().ok());
        let Some(allow_origin) = self.allow_origin(req.headers().get(header::ORIGIN)) else {
            return response;
        };
        if !requested.is_some_and(|m| methods.contains(&m)) {
            return response;
        }
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        if let Ok(methods) = HeaderValue::from_str(&methods.join(", ")) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
        }
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE_SECS),
        );
        self.credentials(headers);
        response
    }

    /// The CORS headers of an answer to a request from `origin` (not a preflight).
    pub fn decorate(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        if let AllowedOrigins::List(_) = self.origins {
            append_vary_origin(headers);
        }
        let Some(allow_origin) = self.allow_origin(origin) else {
            return;
        };
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
        self.credentials(headers);
    }

    /// `Access-Control-Allow-Origin` for `origin`: itself when listed, `*` for any.
    fn allow_origin(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        let origin = origin?;
        match &self.origins {
            AllowedOrigins::None => None,
            AllowedOrigins::Any => Some(HeaderValue::from_static("*")),
            AllowedOrigins::List(listed) => listed
                .iter()
                .any(|allowed| allowed.as_bytes() == origin.as_bytes())
                .then(|| origin.clone()),
        }
    }

    /// Listed origins may send credentials; a wildcard never allows them.
    fn credentials(&self, headers: &mut HeaderMap) {
        if let AllowedOrigins::List(_) = self.origins {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }
}

/// Adds `Origin` to `Vary`: caches must keep answers to different origins apart.
fn append_vary_origin(headers: &mut HeaderMap) {
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "https://app.example.com";

    fn listed() -> Cors {
        Cors::new(AllowedOrigins::List(vec![APP.into()]))
    }

    fn preflight(origin: &str, method: &str, path: &str) -> Request {
        Request::builder()
            .method(Method::OPTIONS)
            .uri(path.parse().unwrap())
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
            .finish()
    }

    #[test]
    fn a_listed_origin_is_allowed_the_methods_of_the_path() {
        let cors = listed();
        let req = preflight(APP, "POST", "/v1/products");
        assert!(cors.is_preflight(&req));
        let answer = cors.preflight(&req);
        assert_eq!(answer.status(), StatusCode::NO_CONTENT);
        let h = answer.headers();
        assert_eq!(h["access-control-allow-origin"], APP);
        assert_eq!(h["access-control-allow-methods"], "GET, POST");
        assert_eq!(h["access-control-allow-headers"], ALLOWED_HEADERS);
        assert_eq!(h["access-control-max-age"], MAX_AGE_SECS);
        assert_eq!(h["access-control-allow-credentials"], "true");
        assert!(h["vary"].to_str().unwrap().contains("Origin"));
    }

    #[test]
    fn other_origins_and_missing_methods_get_no_allow_headers() {
        let cors = listed();
        for req in [
            preflight("https://evil.example", "GET", "/v1/products"),
            preflight(APP, "DELETE", "/v1/products"),
        ] {
            let answer = cors.preflight(&req);
            assert_eq!(answer.status(), StatusCode::NO_CONTENT);
            assert!(
                !answer
                    .headers()
                    .keys()
                    .any(|name| name.as_str().starts_with("access-control-allow")),
                "{:?}",
                answer.headers()
            );
        }
    }

    #[test]
    fn a_wildcard_allows_any_origin_without_credentials() {
        let cors = Cors::new(AllowedOrigins::Any);
        let answer = cors.preflight(&preflight("https://any.example", "GET", "/v1/products"));
        assert_eq!(answer.headers()["access-control-allow-origin"], "*");
        assert!(
            !answer
                .headers()
                .contains_key("access-control-allow-credentials")
        );
        let mut headers = HeaderMap::new();
        cors.decorate(
            Some(&HeaderValue::from_static("https://any.example")),
            &mut headers,
        );
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert!(!headers.contains_key("access-control-allow-credentials"));
    }

    #[test]
    fn answers_name_a_listed_origin_and_expose_the_headers_clients_read() {
        let cors = listed();
        let mut headers = HeaderMap::new();
        cors.decorate(Some(&HeaderValue::from_static(APP)), &mut headers);
        assert_eq!(headers["access-control-allow-origin"], APP);
        let exposed = headers["access-control-expose-headers"].to_str().unwrap();
        for name in [
            "RateLimit-Remaining",
            "X-Request-Id",
            "Retry-After",
            "ETag",
            "Location",
        ] {
            assert!(exposed.contains(name), "{exposed}");
        }
        let mut other = HeaderMap::new();
        cors.decorate(
            Some(&HeaderValue::from_static("https://evil.example")),
            &mut other,
        );
        assert!(!other.contains_key("access-control-allow-origin"));
        assert_eq!(other["vary"], "Origin");
    }

    #[test]
    fn off_means_no_header_and_no_preflight() {
        let cors = Cors::new(AllowedOrigins::None);
        assert!(!cors.is_preflight(&preflight(APP, "GET", "/v1/products")));
        let mut headers = HeaderMap::new();
        cors.decorate(Some(&HeaderValue::from_static(APP)), &mut headers);
        assert!(headers.is_empty());
    }
}
