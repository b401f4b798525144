//! The Swagger Petstore 3: pets (JSON, XML and form bodies, found by status or tags,
//! an image upload), orders and users, over an in-memory store. Pet operations require
//! the `petstore_auth` bearer token with `write:pets` and `read:pets` (a pet is also
//! fetched with the `api_key`), the inventory the `api_key` (see [`crate::auth`]).
//!
//! A pet operation answers in XML when its body was XML, in JSON otherwise: a handler
//! does not see the request's `Accept`.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use apiary_runtime::Json;
use poem::{Endpoint, EndpointExt, Response, Route, http::StatusCode};
use poem_openapi::{OpenApiService, payload::PlainText};

use crate::auth::{Credentials, Principal};
use crate::generated::petstore3::*;
use crate::xml;

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

/// A pet body, read from the media type it came in; `Err` when the XML is not a pet.
enum PetBody {
    Json(Pet),
    Xml(Result<Pet, String>),
}

impl PetBody {
    fn is_xml(&self) -> bool {
        matches!(self, Self::Xml(_))
    }

    fn pet(self) -> Result<Pet, String> {
        match self {
            Self::Json(pet) => Ok(pet),
            Self::Xml(pet) => pet,
        }
    }
}

impl From<UpdatePetRequestContent> for PetBody {
    fn from(content: UpdatePetRequestContent) -> Self {
        match content {
            UpdatePetRequestContent::ApplicationJson(pet)
            | UpdatePetRequestContent::ApplicationXWwwFormUrlencoded(pet) => Self::Json(pet),
            UpdatePetRequestContent::ApplicationXml(text) => Self::Xml(xml::read_pet(&text)),
        }
    }
}

impl From<AddPetRequestContent> for PetBody {
    fn from(content: AddPetRequestContent) -> Self {
        match content {
            AddPetRequestContent::ApplicationJson(pet)
            | AddPetRequestContent::ApplicationXWwwFormUrlencoded(pet) => Self::Json(pet),
            AddPetRequestContent::ApplicationXml(text) => Self::Xml(xml::read_pet(&text)),
        }
    }
}

/// A pet answer in XML or JSON, as one operation's content enum spells it.
macro_rules! pet_content {
    ($content:ident, $pet:expr, $xml:expr) => {
        if $xml {
            $content::ApplicationXml(PlainText(xml::write_pet(&$pet)))
        } else {
            $content::ApplicationJson(Json($pet))
        }
    };
}

fn status_name(status: FindPetsByStatusStatus) -> PetStatus {
    match status {
        FindPetsByStatusStatus::Available => PetStatus::Available,
        FindPetsByStatusStatus::Pending => PetStatus::Pending,
        FindPetsByStatusStatus::Sold => PetStatus::Sold,
    }
}

impl PetApi for Store {
    /// Replaces the pet with the body's `id`.
    async fn update_pet(
        &self,
        _auth: Principal,
        body: UpdatePetRequestContent,
    ) -> UpdatePetResponse {
        let body = PetBody::from(body);
        let in_xml = body.is_xml();
        let Ok(pet) = body.pet() else {
            return UpdatePetResponse::UnprocessableEntity;
        };
        let Some(id) = pet.id else {
            return UpdatePetResponse::BadRequest;
        };
        let mut data = self.data();
        let Some(stored) = data.pets.get_mut(&id) else {
            return UpdatePetResponse::NotFound;
        };
        *stored = pet.clone();
        UpdatePetResponse::Ok(pet_content!(UpdatePet200Content, pet, in_xml))
    }

    /// Stores the pet under its `id`, or the next free one.
    async fn add_pet(&self, _auth: Principal, body: AddPetRequestContent) -> AddPetResponse {
        let body = PetBody::from(body);
        let in_xml = body.is_xml();
        let Ok(mut pet) = body.pet() else {
            return AddPetResponse::UnprocessableEntity;
        };
        let mut data = self.data();
        let id = data.id_or_next(pet.id);
        pet.id = Some(id);
        data.pets.insert(id, pet.clone());
        AddPetResponse::Ok(pet_content!(AddPet200Content, pet, in_xml))
    }

    async fn find_pets_by_status(
        &self,
        _auth: Principal,
        status: FindPetsByStatusStatus,
    ) -> FindPetsByStatusResponse {
        let wanted = status_name(status);
        let found: Vec<Pet> = self
            .data()
            .pets
            .values()
            .filter(|pet| pet.status == Some(wanted))
            .cloned()
            .collect();
        FindPetsByStatusResponse::Ok(FindPetsByStatus200Content::ApplicationJson(Json(found)))
    }

    /// The pets with a tag named in `tags`; without any, there is nothing to find by
    /// (the documented 400).
    async fn find_pets_by_tags(
        &self,
        _auth: Principal,
        tags: Option<Vec<String>>,
    ) -> FindPetsByTagsResponse {
        let Some(tags) = tags.filter(|tags| !tags.is_empty()) else {
            return FindPetsByTagsResponse::BadRequest;
        };
        let found: Vec<Pet> = self
            .data()
            .pets
            .values()
            .filter(|pet| {
                pet.tags
                    .iter()
                    .flatten()
                    .any(|tag| tag.name.as_ref().is_some_and(|name| tags.contains(name)))
            })
            .cloned()
            .collect();
        FindPetsByTagsResponse::Ok(FindPetsByTags200Content::ApplicationJson(Json(found)))
    }

    async fn get_pet_by_id(&self, _auth: GetPetByIdAuth, pet_id: i64) -> GetPetByIdResponse {
        match self.data().pets.get(&pet_id) {
            Some(pet) => {
                GetPetByIdResponse::Ok(GetPetById200Content::ApplicationJson(Json(pet.clone())))
            }
            None => GetPetByIdResponse::NotFound,
        }
    }

    /// Renames the pet and sets its status (one of the pet statuses, else a 400).
    async fn update_pet_with_form(
        &self,
        _auth: Principal,
        pet_id: i64,
        name: Option<String>,
        status: Option<String>,
    ) -> UpdatePetWithFormResponse {
        let status = match status.map(|s| serde_json::from_value::<PetStatus>(s.into())) {
            None => None,
            Some(Ok(status)) => Some(status),
            Some(Err(_)) => return UpdatePetWithFormResponse::BadRequest,
        };
        let mut data = self.data();
        // No 404 is documented: an unknown pet is invalid input.
        let Some(pet) = data.pets.get_mut(&pet_id) else {
            return UpdatePetWithFormResponse::BadRequest;
        };
        if let Some(name) = name {
            pet.name = name;
        }
        if status.is_some() {
            pet.status = status;
        }
        UpdatePetWithFormResponse::Ok(UpdatePetWithForm200Content::ApplicationJson(Json(
            pet.clone(),
        )))
    }

    /// Deletes the pet; an `api_key` header, when sent, must be the store's key.
    async fn delete_pet(
        &self,
        _auth: Principal,
        pet_id: i64,
        api_key: Option<String>,
    ) -> DeletePetResponse {
        if api_key.is_some_and(|key| key != self.credentials.api_key) {
            return DeletePetResponse::BadRequest;
        }
        let mut data = self.data();
        data.images.remove(&pet_id);
        match data.pets.remove(&pet_id) {
            Some(_) => DeletePetResponse::Ok,
            None => DeletePetResponse::BadRequest,
        }
    }

    /// Keeps the image's bytes and adds its URL to the pet's `photoUrls`.
    async fn upload_file(
        &self,
        _auth: Principal,
        pet_id: i64,
        additional_metadata: Option<String>,
        body: Option<ApplicationOctetStreamBytes>,
    ) -> UploadFileResponse {
        let Some(body) = body.filter(|body| !body.bytes.is_empty()) else {
            return UploadFileResponse::BadRequest;
        };
        let mut data = self.data();
        if !data.pets.contains_key(&pet_id) {
            return UploadFileResponse::NotFound;
        }
        let size = body.bytes.len();
        let images = data.images.entry(pet_id).or_default();
        images.push(body.bytes);
        let url = format!("/pet/{pet_id}/images/{}", images.len());
        if let Some(pet) = data.pets.get_mut(&pet_id) {
            pet.photo_urls.push(url.clone());
        }
        let metadata = additional_metadata.unwrap_or_default();
        UploadFileResponse::Ok(Json(ApiResponse {
            code: Some(200),
            r#type: Some(body.content_type),
            message: Some(format!("{size} bytes at {url}; metadata: {metadata}")),
        }))
    }
}

/// An order or user body, read from the media type it came in; `Err` when the XML is
/// not one.
fn from_content<T>(json: Option<T>, xml: Option<Result<T, String>>) -> Option<Result<T, String>> {
    json.map(Ok).or(xml)
}

impl StoreApi for Store {
    /// How many pets have each status (pets without one are not counted).
    async fn get_inventory(&self, _auth: Principal) -> GetInventoryResponse {
        let mut counts: HashMap<String, i32> = HashMap::new();
        for pet in self.data().pets.values() {
            if let Some(Ok(serde_json::Value::String(status))) =
                pet.status.map(serde_json::to_value)
            {
                *counts.entry(status).or_default() += 1;
            }
        }
        GetInventoryResponse::Ok(Json(counts))
    }

    /// Stores the order under its `id`, or the next free one; `placed` when it has no
    /// status. The pet must exist (a 400 otherwise).
    async fn place_order(&self, body: Option<PlaceOrderRequestContent>) -> PlaceOrderResponse {
        let order = body.map(|content| match content {
            PlaceOrderRequestContent::ApplicationJson(order)
            | PlaceOrderRequestContent::ApplicationXWwwFormUrlencoded(order) => Ok(order),
            PlaceOrderRequestContent::ApplicationXml(text) => xml::read_order(&text),
        });
        let mut order = match order {
            None => return PlaceOrderResponse::BadRequest,
            Some(Err(_)) => return PlaceOrderResponse::UnprocessableEntity,
            Some(Ok(order)) => order,
        };
        let mut data = self.data();
        if !order.pet_id.is_some_and(|id| data.pets.contains_key(&id)) {
            return PlaceOrderResponse::BadRequest;
        }
        let id = data.id_or_next(order.id);
        order.id = Some(id);
        order.status.get_or_insert(OrderStatus::Placed);
        data.orders.insert(id, order.clone());
        PlaceOrderResponse::Ok(Json(order))
    }

    async fn get_order_by_id(&self, order_id: i64) -> GetOrderByIdResponse {
        match self.data().orders.get(&order_id) {
            Some(order) => GetOrderByIdResponse::Ok(GetOrderById200Content::ApplicationXml(
                PlainText(xml::write_order(order)),
            )),
            None => GetOrderByIdResponse::NotFound,
        }
    }

    async fn delete_order(&self, order_id: i64) -> DeleteOrderResponse {
        match self.data().orders.remove(&order_id) {
            Some(_) => DeleteOrderResponse::Ok,
            None => DeleteOrderResponse::NotFound,
        }
    }
}

/// A user body, read from the media type it came in, and whether it came in XML.
fn user_body(json: Option<User>, xml_text: Option<String>) -> (Option<Result<User, String>>, bool) {
    let in_xml = xml_text.is_some();
    (
        from_content(json, xml_text.map(|text| xml::read_user(&text))),
        in_xml,
    )
}

impl UserApi for Store {
    /// Stores the user under its `username` (required here: users are found by it).
    async fn create_user(&self, body: Option<CreateUserRequestContent>) -> CreateUserResponse {
        let (user, in_xml) = match body {
            None => (None, false),
            Some(CreateUserRequestContent::ApplicationJson(user))
            | Some(CreateUserRequestContent::ApplicationXWwwFormUrlencoded(user)) => {
                user_body(Some(user), None)
            }
            Some(CreateUserRequestContent::ApplicationXml(text)) => user_body(None, Some(text)),
        };
        let Some(Ok(mut user)) = user else {
            return CreateUserResponse::Default(StatusCode::BAD_REQUEST, NoBody);
        };
        let Some(username) = user.username.clone() else {
            return CreateUserResponse::Default(StatusCode::UNPROCESSABLE_ENTITY, NoBody);
        };
        let mut data = self.data();
        if data.users.contains_key(&username) {
            return CreateUserResponse::Default(StatusCode::CONFLICT, NoBody);
        }
        user.id = Some(data.id_or_next(user.id));
        data.users.insert(username, user.clone());
        CreateUserResponse::Ok(if in_xml {
            CreateUser200Content::ApplicationXml(PlainText(xml::write_user(&user)))
        } else {
            CreateUser200Content::ApplicationJson(Json(user))
        })
    }

    /// Stores every user (each with a `username` not yet taken, else nothing is stored);
    /// answers the last one.
    async fn create_users_with_list_input(
        &self,
        body: Option<Vec<User>>,
    ) -> CreateUsersWithListInputResponse {
        let users = body.unwrap_or_default();
        let mut data = self.data();
        let mut names: Vec<&str> = Vec::new();
        for user in &users {
            match user.username.as_deref() {
                Some(name) if !data.users.contains_key(name) && !names.contains(&name) => {
                    names.push(name);
                }
                _ => {
                    return CreateUsersWithListInputResponse::Default(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        NoBody,
                    );
                }
            }
        }
        let mut last = None;
        for mut user in users {
            user.id = Some(data.id_or_next(user.id));
            let name = user.username.clone().unwrap_or_default();
            data.users.insert(name, user.clone());
            last = Some(user);
        }
        match last {
            Some(user) => CreateUsersWithListInputResponse::Ok(
                CreateUsersWithListInput200Content::ApplicationJson(Json(user)),
            ),
            None => CreateUsersWithListInputResponse::Default(StatusCode::BAD_REQUEST, NoBody),
        }
    }

    /// A session for a user whose password matches, with the calls per hour it may make
    /// and when it expires.
    async fn login_user(
        &self,
        username: Option<String>,
        password: Option<String>,
    ) -> LoginUserResponse {
        let data = self.data();
        let user = username.as_ref().and_then(|name| data.users.get(name));
        match (user, password) {
            (Some(user), Some(password)) if user.password.as_ref() == Some(&password) => {
                let name = user.username.clone().unwrap_or_default();
                let expires = chrono::Utc::now() + chrono::Duration::hours(1);
                LoginUserResponse::Ok(
                    LoginUser200Content::ApplicationJson(Json(format!(
                        "logged in user session: {name}"
                    ))),
                    Some(5000),
                    Some(expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                )
            }
            _ => LoginUserResponse::BadRequest,
        }
    }

    async fn logout_user(&self) -> LogoutUserResponse {
        LogoutUserResponse::Ok
    }

    async fn get_user_by_name(&self, username: String) -> GetUserByNameResponse {
        match self.data().users.get(&username) {
            Some(user) => GetUserByNameResponse::Ok(GetUserByName200Content::ApplicationJson(
                Json(user.clone()),
            )),
            None => GetUserByNameResponse::NotFound,
        }
    }

    /// Replaces the user; the path names it, so a body naming another is a 400.
    async fn update_user(
        &self,
        username: String,
        body: Option<UpdateUserRequestContent>,
    ) -> UpdateUserResponse {
        let (user, _) = match body {
            None => (None, false),
            Some(UpdateUserRequestContent::ApplicationJson(user))
            | Some(UpdateUserRequestContent::ApplicationXWwwFormUrlencoded(user)) => {
                user_body(Some(user), None)
            }
            Some(UpdateUserRequestContent::ApplicationXml(text)) => user_body(None, Some(text)),
        };
        let Some(Ok(mut user)) = user else {
            return UpdateUserResponse::BadRequest;
        };
        if user.username.as_ref().is_some_and(|name| *name != username) {
            return UpdateUserResponse::BadRequest;
        }
        let mut data = self.data();
        let Some(stored) = data.users.get_mut(&username) else {
            return UpdateUserResponse::NotFound;
        };
        user.username = Some(username);
        user.id = stored.id;
        *stored = user;
        UpdateUserResponse::Ok
    }

    async fn delete_user(&self, username: String) -> DeleteUserResponse {
        match self.data().users.remove(&username) {
            Some(_) => DeleteUserResponse::Ok,
            None => DeleteUserResponse::NotFound,
        }
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
    crate::edge::with_problems(Route::new().nest("/", api).data(credentials), templates)
}
