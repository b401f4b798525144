//! `system` tag: probes and the API's own documentation.

use poem_openapi::payload::PlainText;

use apiary_runtime::Json;

use super::Api;
use crate::generated::{
    GetDocsResponse, GetHealthResponse, GetMetricsResponse, GetOpenApiJsonResponse,
    GetOpenApiYamlResponse, GetReadinessResponse, Health, HealthStatus, Problem, SystemApi,
};
use crate::spec::{SPEC_YAML, document};

impl SystemApi for Api {
    async fn get_health(&self) -> GetHealthResponse {
        GetHealthResponse::Ok(Json(Health {
            status: HealthStatus::Ok,
        }))
    }

    async fn get_readiness(&self) -> GetReadinessResponse {
        let (database, redis, store) = tokio::join!(
            self.reader.connection().ping(),
            self.rate_limiting.limiter.ping_shared(),
            self.images.ping_store()
        );
        let mut down = Vec::new();
        if let Err(error) = database {
            tracing::warn!(%error, "readiness: the database does not answer");
            down.push("the database");
        }
        if let Err(error) = redis {
            tracing::warn!(%error, "readiness: Redis does not answer");
            down.push("Redis");
        }
        if let Err(error) = store {
            tracing::warn!(
                error = format!("{error:#}"),
                "readiness: the image store does not answer"
            );
            down.push("the image store");
        }
        if down.is_empty() {
            return GetReadinessResponse::Ok(Json(Health {
                status: HealthStatus::Ok,
            }));
        }
        let verb = if down.len() == 1 { "does" } else { "do" };
        let named = match down.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => down.join(""),
        };
        GetReadinessResponse::ServiceUnavailable(Json(Problem::new(
            503,
            format!("Not ready: {named} {verb} not answer."),
        )))
    }

    async fn get_open_api_yaml(&self) -> GetOpenApiYamlResponse {
        GetOpenApiYamlResponse::Ok(PlainText(SPEC_YAML.to_string()))
    }

    async fn get_open_api_json(&self) -> GetOpenApiJsonResponse {
        GetOpenApiJsonResponse::Ok(Json(document().clone()))
    }

    async fn get_metrics(&self) -> GetMetricsResponse {
        // Gauges of state the service does not update per event are read now.
        crate::storage::record_pool_gauges(&self.reader);
        self.rate_limiting.limiter.record_gauges();
        GetMetricsResponse::Ok(PlainText(crate::telemetry::recorder::handle().render()))
    }

    async fn get_docs(&self) -> GetDocsResponse {
        GetDocsResponse::Ok(PlainText(self.docs_html.clone()))
    }
}
