//! The `pet` operations.

use apiary_runtime::{Accept, Json};
use poem_openapi::payload::PlainText;

use super::{Store, prefers_xml};
use crate::auth::Principal;
use crate::generated::petstore3::*;
use crate::xml;

/// A pet body, read from the media type it came in; `Err` when the XML is not a pet.
enum PetBody {
    Json(Pet),
    Xml(Result<Pet, String>),
}

impl PetBody {
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
        accept: Accept,
        body: UpdatePetRequestContent,
    ) -> UpdatePetResponse {
        let Ok(pet) = PetBody::from(body).pet() else {
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
        UpdatePetResponse::Ok(pet_content!(UpdatePet200Content, pet, prefers_xml(&accept)))
    }

    /// Stores the pet under its `id`, or the next free one.
    async fn add_pet(
        &self,
        _auth: Principal,
        accept: Accept,
        body: AddPetRequestContent,
    ) -> AddPetResponse {
        let Ok(mut pet) = PetBody::from(body).pet() else {
            return AddPetResponse::UnprocessableEntity;
        };
        let mut data = self.data();
        let id = data.id_or_next(pet.id);
        pet.id = Some(id);
        data.pets.insert(id, pet.clone());
        AddPetResponse::Ok(pet_content!(AddPet200Content, pet, prefers_xml(&accept)))
    }

    async fn find_pets_by_status(
        &self,
        _auth: Principal,
        _accept: Accept,
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
        _accept: Accept,
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

    async fn get_pet_by_id(
        &self,
        _auth: GetPetByIdAuth,
        accept: Accept,
        pet_id: i64,
    ) -> GetPetByIdResponse {
        match self.data().pets.get(&pet_id) {
            Some(pet) => GetPetByIdResponse::Ok(pet_content!(
                GetPetById200Content,
                pet.clone(),
                prefers_xml(&accept)
            )),
            None => GetPetByIdResponse::NotFound,
        }
    }

    /// Renames the pet and sets its status (one of the pet statuses, else a 400).
    async fn update_pet_with_form(
        &self,
        _auth: Principal,
        accept: Accept,
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
        UpdatePetWithFormResponse::Ok(pet_content!(
            UpdatePetWithForm200Content,
            pet.clone(),
            prefers_xml(&accept)
        ))
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
