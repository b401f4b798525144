//! The Swagger Petstore 3: pets (JSON, XML and form bodies, found by status or tags,
//! an image upload), orders and users, over an in-memory store. Pet operations require
//! the `petstore_auth` bearer token with `write:pets` and `read:pets` (a pet is also
//! fetched with the `api_key`), the inventory the `api_key` (see [`crate::auth`]).
//!
//! Where a response offers JSON and XML, the handler answers the one the request's
//! `Accept` prefers, JSON when it prefers neither (see [`prefers_xml`]); lists are
//! always JSON, so a request that accepts only XML for them gets the generated 406.

mod orders;
mod pets;
mod users;

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use apiary_runtime::{Accept, BodyLimit};
use poem::{Endpoint, EndpointExt, Response, Route};
use poem_openapi::OpenApiService;

use crate::auth::Credentials;
use crate::generated::petstore3::{OPERATIONS, Order, Pet, User, api_adapters};

/// Whether `accept` prefers XML to JSON, where an operation answers either: JSON on a
/// tie and when no `Accept` was sent.
fn prefers_xml(accept: &Accept) -> bool {
    accept.preferred(&["application/json", "application/xml"]) == Some("application/xml")
}

/// The largest request body the server reads (an image upload included): a 413 over it.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Everything the store holds.
#[derive(Debug, Default)]
struct Data {
    pets: BTreeMap<i64, Pet>,
    orders: BTreeMap<i64, Order>,
    users: BTreeMap<String, User>,
    /// The bytes of each pet's uploaded images, by pet id.
    images: HashMap<i64, Vec<Vec<u8>>>,
    last_id: i64,
}

impl Data {
    /// `id`, or the next free id when there is none.
    fn id_or_next(&mut self, id: Option<i64>) -> i64 {
        let id = id.unwrap_or(self.last_id + 1);
        self.last_id = self.last_id.max(id);
        id
    }
}

/// The store, and the credentials it accepts (the `api_key` header of a deletion is
/// checked against them).
#[derive(Debug)]
pub struct Store {
    credentials: Credentials,
    data: Mutex<Data>,
}

impl Store {
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            data: Mutex::default(),
        }
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        // Every write is a whole insert or remove, so a poisoned lock is consistent.
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The Swagger Petstore 3 server over an empty store accepting `credentials`, its
/// errors answered as problems.
pub fn app(credentials: Credentials) -> impl Endpoint<Output = Response> {
    let store = Arc::new(Store::new(credentials.clone()));
    let api = OpenApiService::new(
        api_adapters(store),
        "Swagger Petstore - OpenAPI 3.0",
        "1.0.27",
    );
    let templates = OPERATIONS.iter().map(|operation| operation.path).collect();
    crate::edge::with_problems(
        Route::new()
            .nest("/", api)
            .data(credentials)
            .data(BodyLimit(MAX_BODY_BYTES)),
        templates,
    )
}
