//! The OAI `petstore-expanded` example: pets with a name and an optional tag, listed,
//! added, fetched and deleted. Failures are the spec's `default` response, an `Error`
//! document whose `code` is the HTTP status.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use apiary_runtime::Json;
use poem::{Endpoint, Response, Route, http::StatusCode};
use poem_openapi::OpenApiService;

use crate::generated::expanded::{
    AddPetResponse, DefaultApi, DeletePetResponse, Error, FindPetByIdResponse, FindPetsResponse,
    NewPet, OPERATIONS, Pet, api_adapters,
};

/// The pets, by id (so a listing is in the order they were added).
#[derive(Debug, Default)]
pub struct Store {
    pets: Mutex<Pets>,
}

#[derive(Debug, Default)]
struct Pets {
    by_id: BTreeMap<i64, Pet>,
    last_id: i64,
}

impl Store {
    fn pets(&self) -> std::sync::MutexGuard<'_, Pets> {
        // A panic while holding the lock leaves the map consistent (every write is one
        // insert or remove), so a poisoned lock is still usable.
        self.pets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn error(status: StatusCode, message: String) -> (StatusCode, Json<Error>) {
    let code = i32::from(status.as_u16());
    (status, Json(Error { code, message }))
}

fn not_found(id: i64) -> (StatusCode, Json<Error>) {
    error(StatusCode::NOT_FOUND, format!("There is no pet {id}."))
}

impl DefaultApi for Store {
    /// The pets whose tag is one of `tags` (every pet without `tags`), the first
    /// `limit` of them.
    async fn find_pets(&self, tags: Option<Vec<String>>, limit: Option<i32>) -> FindPetsResponse {
        let limit = match limit.map(usize::try_from) {
            None => usize::MAX,
            Some(Ok(limit)) => limit,
            Some(Err(_)) => {
                let (status, body) = error(
                    StatusCode::BAD_REQUEST,
                    "`limit` must not be negative.".into(),
                );
                return FindPetsResponse::Default(status, body);
            }
        };
        let pets = self.pets();
        let found = pets
            .by_id
            .values()
            .filter(|pet| match &tags {
                None => true,
                Some(tags) => pet.tag.as_ref().is_some_and(|tag| tags.contains(tag)),
            })
            .take(limit)
            .cloned()
            .collect();
        FindPetsResponse::Ok(Json(found))
    }

    async fn add_pet(&self, body: NewPet) -> AddPetResponse {
        let mut pets = self.pets();
        pets.last_id += 1;
        let pet = Pet {
            name: body.name,
            tag: body.tag,
            id: pets.last_id,
        };
        pets.by_id.insert(pet.id, pet.clone());
        AddPetResponse::Ok(Json(pet))
    }

    async fn find_pet_by_id(&self, id: i64) -> FindPetByIdResponse {
        match self.pets().by_id.get(&id) {
            Some(pet) => FindPetByIdResponse::Ok(Json(pet.clone())),
            None => {
                let (status, body) = not_found(id);
                FindPetByIdResponse::Default(status, body)
            }
        }
    }

    async fn delete_pet(&self, id: i64) -> DeletePetResponse {
        match self.pets().by_id.remove(&id) {
            Some(_) => DeletePetResponse::NoContent,
            None => {
                let (status, body) = not_found(id);
                DeletePetResponse::Default(status, body)
            }
        }
    }
}

/// The petstore-expanded server over an empty store, its errors answered as problems.
pub fn app() -> impl Endpoint<Output = Response> {
    let api = OpenApiService::new(
        api_adapters(Arc::new(Store::default())),
        "Swagger Petstore",
        "1.0.0",
    );
    let templates = OPERATIONS.iter().map(|operation| operation.path).collect();
    crate::edge::with_problems(Route::new().nest("/", api), templates)
}
