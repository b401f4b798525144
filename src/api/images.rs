//! `images` tag: uploads, their status, and their variants.

use crate::runtime::Json;
use uuid::Uuid;

use super::Api;
use crate::domain::images::{
    ImageRecord, ImageStatus as Status, VariantInfo,
    process::{Kind, Size},
};
use crate::generated::{
    GetImageResponse, GetImageVariantResponse, GetImageVariantSize, Image, ImageJob, ImageOriginal,
    ImageOriginalContentType, ImageStatus, ImageVariant, ImageVariantContentType, ImageVariants,
    ImagesApi, UploadImageResponse,
};
use crate::runtime::{ImageBytes, Principal, Upload};

impl ImagesApi for Api {
    async fn upload_image(&self, auth: Principal, body: Upload) -> UploadImageResponse {
        match self.images.accept(auth.user_id, body.bytes).await {
            Ok(id) => {
                let location = format!("{}/{id}", request_path());
                UploadImageResponse::Accepted(
                    Json(ImageJob {
                        id,
                        status: ImageStatus::Processing,
                        status_url: location.clone(),
                    }),
                    location,
                )
            }
            Err(error) => UploadImageResponse::from_problem(error),
        }
    }

    async fn get_image(&self, auth: Principal, image_id: Uuid) -> GetImageResponse {
        match self.images.get(auth.user_id, image_id).await {
            Ok(image) => GetImageResponse::Ok(Json(image_view(image, &request_path()))),
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
        let size = match size {
            GetImageVariantSize::Thumb => Size::Thumb,
            GetImageVariantSize::Medium => Size::Medium,
            GetImageVariantSize::Large => Size::Large,
        };
        match self.images.variant(auth.user_id, image_id, size).await {
            Ok(variant) if etag_matches(if_none_match.as_deref(), &variant.etag) => {
                GetImageVariantResponse::NotModified(variant.etag)
            }
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

/// The request's path as the client wrote it (so `/images` answers in its own terms).
fn request_path() -> String {
    crate::runtime::context::RequestContext::current()
        .map(|context| context.path.trim_end_matches('/').to_string())
        .unwrap_or_default()
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

fn image_view(image: ImageRecord, path: &str) -> Image {
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
