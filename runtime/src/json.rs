//! `Json<T>`: a JSON response body written by serde straight from `T`.
//!
//! poem-openapi's own `Json` first turns the value into a `serde_json::Value` (a map
//! allocated per object, a string per key) and then writes that; a page of products
//! spent about a tenth of its CPU there. The generated models derive `Serialize` with
//! the same names and the same omitted fields as their poem-openapi schema, so the
//! bytes differ only in being written once.

use poem::{IntoResponse, Response, http::StatusCode};
use poem_openapi::{
    payload::Payload,
    registry::{MetaSchemaRef, Registry},
    types::Type,
};
use serde::Serialize;

/// Whether a `Content-Type` is `application/json`, parameters aside.
pub(crate) fn is_json(content_type: &str) -> bool {
    content_type
        .parse::<mime::Mime>()
        .is_ok_and(|mime| mime.essence_str() == "application/json")
}

/// A JSON answer of type `T`, documented by `T`'s schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Json<T>(pub T);

impl<T: Type> Payload for Json<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        is_json(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Serialize + Send> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => Response::builder()
                .content_type("application/json; charset=utf-8")
                .body(body),
            // Only a map with non-string keys fails to serialize, and no model has one.
            Err(error) => {
                tracing::error!(%error, "a response body could not be written as JSON");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use poem::IntoResponse;

    use super::Json;

    #[derive(Debug, Clone, poem_openapi::Object, serde::Serialize)]
    struct Product {
        id: i64,
        name: String,
        description: Option<String>,
        price_cents: i64,
        currency: String,
        #[serde(serialize_with = "crate::rfc3339::serialize")]
        created_at: chrono::DateTime<chrono::Utc>,
    }

    /// The bytes are what poem-openapi's schema-driven writer produces, but for the
    /// timestamp, which serde writes with `Z` (the API outline's form) where
    /// poem-openapi writes `+00:00`: the same instant.
    #[tokio::test]
    async fn writes_the_same_document_as_the_schema_writer() {
        use poem_openapi::types::ToJSON;

        let product = Product {
            id: 7,
            name: "Walnut desk lamp".into(),
            description: None,
            price_cents: 4900,
            currency: "EUR".into(),
            created_at: "2023-07-15T12:30:00.25Z".parse().unwrap(),
        };
        let response = Json(vec![product.clone()]).into_response();
        assert_eq!(
            response.content_type(),
            Some("application/json; charset=utf-8")
        );
        let body = response.into_body().into_string().await.unwrap();
        assert_eq!(
            body,
            r#"[{"id":7,"name":"Walnut desk lamp","description":null,"price_cents":4900,"currency":"EUR","created_at":"2023-07-15T12:30:00.250Z"}]"#
        );
        let mut expected = vec![product].to_json().unwrap();
        expected[0]["created_at"] = "2023-07-15T12:30:00.250Z".into();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap(),
            expected
        );
    }
}
