//! The server code generated from `spec/openapi.yaml` by `build.rs`: models, one trait
//! per tag, one response enum per operation, the poem-openapi adapters and the
//! operation table. Never edited by hand; it lives in OUT_DIR.

#![allow(clippy::all, clippy::pedantic, missing_docs, unused_qualifications)]

include!(concat!(env!("OUT_DIR"), "/server.rs"));
