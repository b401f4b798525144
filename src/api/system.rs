//! `system` tag: probes and the API's own documentation.

use poem_openapi::payload::{Json, PlainText};

use super::Api;
use crate::generated::{
    GetDocsResponse, GetHealthResponse, GetOpenApiJsonResponse, GetOpenApiYamlResponse,
    GetReadinessResponse, Health, HealthStatus, Problem, SystemApi,
};
use crate::spec::{SPEC_YAML, document};

impl SystemApi for Api {
    async fn get_health(&self) -> GetHealthResponse {
        GetHealthResponse::Ok(Json(Health {
            status: HealthStatus::Ok,
        }))
    }

    async fn get_readiness(&self) -> GetReadinessResponse {
        match self.db.ping().await {
            Ok(()) => GetReadinessResponse::Ok(Json(Health {
                status: HealthStatus::Ok,
            })),
            Err(error) => {
                tracing::warn!(%error, "readiness: the database does not answer");
                GetReadinessResponse::ServiceUnavailable(Json(Problem::new(
                    503,
                    "Not ready: the database does not answer.",
                )))
            }
        }
    }

    async fn get_open_api_yaml(&self) -> GetOpenApiYamlResponse {
        GetOpenApiYamlResponse::Ok(PlainText(SPEC_YAML.to_string()))
    }

    async fn get_open_api_json(&self) -> GetOpenApiJsonResponse {
        GetOpenApiJsonResponse::Ok(Json(document().clone()))
    }

    async fn get_docs(&self) -> GetDocsResponse {
        GetDocsResponse::Ok(PlainText(self.docs_html.clone()))
    }
}
