//! Apiary: a spec-first API service. `spec/openapi.yaml` drives the generated server
//! code (`generated`), the client SDK and the conformance tests; this crate implements
//! the generated traits (`api`) on top of transport-agnostic services (`domain`).

pub mod api;
pub mod app;
pub mod config;
pub mod domain;
pub mod error;
pub mod generated;
pub mod http;
pub mod jobs;
pub mod ratelimit;
pub mod spec;
pub mod storage;
pub mod telemetry;
pub mod upstream;
