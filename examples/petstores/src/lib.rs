//! Two public petstore specs, served by the code apiary's generator writes from them,
//! with handlers over an in-memory store: the OAI `petstore-expanded` example
//! ([`expanded`]) and the Swagger Petstore 3 ([`petstore3`]). The tests serve each over
//! real TCP and go through every construct the specs use.

pub mod auth;
pub mod edge;
pub mod expanded;
pub mod petstore3;
mod xml;

/// The code generated from each spec under `specs/` by `build.rs`; never edited.
pub mod generated {
    /// From `specs/oai-petstore-expanded.yaml`.
    pub mod expanded {
        #![allow(clippy::all, clippy::pedantic, missing_docs, unused_qualifications)]
        include!(concat!(env!("OUT_DIR"), "/expanded.rs"));
    }

    /// From `specs/swagger-petstore3.yaml`.
    pub mod petstore3 {
        #![allow(clippy::all, clippy::pedantic, missing_docs, unused_qualifications)]
        include!(concat!(env!("OUT_DIR"), "/petstore3.rs"));
    }
}
