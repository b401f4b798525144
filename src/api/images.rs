//! `images` tag: uploads, their status, and their variants.

use apiary_runtime::Json;
use uuid::Uuid;

use super::Api;
use crate::domain::DomainError;
use crate::domain::images::{
    ImageRecord, ImageStatus as Status, VariantInfo,
    process::{Kind, Size},
};
use crate::domain::tokens::Principal;
use crate::generated::{
    FieldError, GetImageResponse, GetImageVariantResponse, GetImageVariantSize, Image, ImageJob,
    ImageOriginal, ImageOriginalContentType, ImageStatus, ImageVariant, ImageVariantContentType,
    ImageVariants, ImagesApi, Problem, UploadImageResponse,
};
use apiary_runtime::{ImageBytes, Upload};

impl ImagesApi for Api {
    async fn upload_image(&self, auth: Principal, body: Upload) -> UploadImageResponse {
        match self.images.accept(auth.user_id, body.bytes).await {
            Ok(id) => {
                let location = format!("{}/{id}", images_path());
                UploadImageResponse::Accepted(
                    Json(ImageJob {
                        id,
                        status: ImageStatus::Processing,
                        status_url: location.clone(),
                    }),
                    location,
                )
            }
            Err(DomainError::InvalidInput { field, message }) => {
                UploadImageResponse::from_problem(file_problem(field, message))
            }
            Err(error) => UploadImageResponse::from_problem(error),
        }
    }

    async fn get_image(&self, auth: Principal, image_id: Uuid) -> GetImageResponse {
        if let Some(problem) = other_spelling(image_id) {
            return GetImageResponse::from_problem(problem);
        }
        match self.images.get(auth.user_id, image_id).await {
            Ok(image) => GetImageResponse::Ok(Json(image_view(image, &images_path()))),
            Err(error) => GetImageResponse::from_problem(error),
        }
    }

    async fn get_image_variant(
        &self,
        auth: Principal,
        image_id: Uuid,
        size: GetImageVariantSize,
        if_none_match: Option<String>,
    ) -> GetImageVariantResponse {
        if let Some(problem) = other_spelling(image_id) {
            return GetImageVariantResponse::from_problem(problem);
        }
        let size = match size {
            GetImageVariantSize::Thumb => Size::Thumb,
            GetImageVariantSize::Medium => Size::Medium,
            GetImageVariantSize::Large => Size::Large,
        };
        // A client's copy that is still current needs no bytes, so no store.
        let info = match self.images.variant_info(auth.user_id, image_id, size).await {
            Ok(info) if etag_matches(if_none_match.as_deref(), &info.etag) => {
                return GetImageVariantResponse::NotModified(info.etag);
            }
            Ok(info) => info,
            Err(error) => return GetImageVariantResponse::from_problem(error),
        };
        match self.images.variant_bytes(image_id, size, info).await {
            Ok(variant) => GetImageVariantResponse::Ok(
                ImageBytes {
                    content_type: variant.content_type,
                    bytes: variant.bytes,
                },
                variant.etag,
            ),
            Err(error) => GetImageVariantResponse::from_problem(error),
        }
    }
}

/// The request's path as the client wrote it.
fn request_path() -> String {
    apiary_runtime::context::RequestContext::current()
        .map(|context| context.path.trim_end_matches('/').to_string())
        .unwrap_or_default()
}

/// The collection's path in the request's own terms (`/v1/images`, `/v2/images`, or
/// `/images` routed by header): the base of every URL written back, which then names an
/// image by its canonical id, never by the spelling the request used.
fn images_path() -> String {
    let path = request_path();
    match path.find("/images") {
        Some(at) => path[..at + "/images".len()].to_string(),
        None => path,
    }
}

/// `format: uuid` is the hyphenated form (in either case). The parser also reads
/// `urn:uuid:...`, `{...}` and 32 bare digits; those get this 422 rather than repeated.
fn other_spelling(image_id: Uuid) -> Option<Problem> {
    let path = request_path();
    let segment = path
        .split_once("/images/")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or_default();
    if segment.len() == uuid::fmt::Hyphenated::LENGTH {
        return None;
    }
    Some(Problem::validation(vec![FieldError {
        field: "image_id".to_string(),
        message: format!("must be a UUID in its hyphenated form, e.g. {image_id}"),
    }]))
}

/// A refused upload: the reason as the detail, and in `errors` under its field.
fn file_problem(field: String, message: String) -> Problem {
    let mut problem = Problem::validation(vec![FieldError {
        field,
        message: message.clone(),
    }]);
    problem.detail = Some(message);
    problem
}

/// RFC 9110 `If-None-Match`: `*` or a list of entity tags, compared weakly.
fn etag_matches(header: Option<&str>, etag: &str) -> bool {
    let Some(header) = header else {
        return false;
    };
    let bare = etag.trim_start_matches("W/");
    header
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == bare)
}

/// The image as its owner sees it; `collection` is the base of its URLs.
fn image_view(image: ImageRecord, collection: &str) -> Image {
    let path = format!("{collection}/{}", image.id);
    let path = path.as_str();
    // A done image has all three; a record missing one shows no variants at all.
    let variants = image.variants.and_then(|variants| {
        let find = |size: Size| {
            variants
                .iter()
                .find(|v| v.size == size.name())
                .map(|info| variant_view(info.clone(), path))
        };
        Some(ImageVariants {
            thumb: find(Size::Thumb)?,
            medium: find(Size::Medium)?,
            large: find(Size::Large)?,
        })
    });
    Image {
        id: image.id,
        status: match image.status {
            Status::Processing => ImageStatus::Processing,
            Status::Done => ImageStatus::Done,
            Status::Failed => ImageStatus::Failed,
        },
        original: ImageOriginal {
            width: image.width as i32,
            height: image.height as i32,
            content_type: match image.kind {
                Kind::Png => ImageOriginalContentType::ImagePng,
                Kind::Jpeg => ImageOriginalContentType::ImageJpeg,
                Kind::WebP => ImageOriginalContentType::ImageWebp,
                Kind::Gif => ImageOriginalContentType::ImageGif,
            },
            bytes: image.bytes as i64,
        },
        variants,
        error: image.error,
        created_at: image.created_at,
        completed_at: image.completed_at,
    }
}

fn variant_view(info: VariantInfo, path: &str) -> ImageVariant {
    ImageVariant {
        url: format!("{path}/variants/{}", info.size),
        width: info.width as i32,
        height: info.height as i32,
        content_type: match info.content_type.as_str() {
            "image/jpeg" => ImageVariantContentType::ImageJpeg,
            "image/webp" => ImageVariantContentType::ImageWebp,
            _ => ImageVariantContentType::ImagePng,
        },
        bytes: info.bytes as i64,
    }
}
