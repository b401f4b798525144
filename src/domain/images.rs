//! Image uploads and their resize jobs: accept an upload (checked, stored, queued),
//! report its state, hand out its variants, and run one job attempt for a worker.
//! Transport-free: bytes in, records and bytes out.

pub mod budget;
pub mod process;

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use self::budget::{BudgetError, DecodeBudget};
use self::process::{Kind, Probe, Rejection, Size};
use super::DomainError;
use crate::jobs::JobQueue;
use crate::storage::{blobs::BlobStore, entities::images};

/// Where an image's job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageStatus {
    Processing,
    Done,
    Failed,
}

impl ImageStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "done" => Self::Done,
            "failed" => Self::Failed,
            _ => Self::Processing,
        }
    }
}

/// One stored variant's metadata (kept as JSON on the image's row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantInfo {
    pub size: String,
    pub width: u32,
    pub height: u32,
    pub content_type: String,
    pub bytes: u64,
    /// A strong entity tag: the quoted SHA-256 of the bytes.
    pub etag: String,
}

/// An image as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecord {
    pub id: Uuid,
    pub status: ImageStatus,
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// The variants, largest first, once done.
    pub variants: Option<Vec<VariantInfo>>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A variant's bytes, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantBytes {
    pub content_type: &'static str,
    pub etag: String,
    pub bytes: Vec<u8>,
}

/// How one job attempt ended, for the worker to tell the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The variants are stored and the image is `done`.
    Done,
    /// Nothing to do: the image is already done or failed (a redelivery), or gone.
    Skipped,
    /// This attempt failed; try again after the backoff.
    Retry {
        after: std::time::Duration,
        error: String,
    },
    /// The last allowed attempt failed: the image is `failed`.
    Failed { error: String },
}

/// How a job is retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub backoff: std::time::Duration,
}

impl RetryPolicy {
    /// Backoff after attempt `n` (1-based): `backoff`, doubled each time, capped at 64x.
    pub fn delay(&self, attempt: u32) -> std::time::Duration {
        self.backoff * 2u32.pow(attempt.saturating_sub(1).min(6))
    }
}

fn original_key(id: Uuid) -> String {
    format!("originals/{id}")
}

fn variant_key(id: Uuid, size: Size) -> String {
    format!("variants/{id}/{}", size.name())
}

pub fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// The image use cases, over the database, the blob store and the job queue.
#[derive(Clone)]
pub struct ImageService {
    db: DatabaseConnection,
    blobs: Arc<dyn BlobStore>,
    queue: Arc<dyn JobQueue>,
    retry: RetryPolicy,
    budget: DecodeBudget,
    max_per_owner: u64,
}

/// The decode budget of a service built without [`ImageService::with_decode_budget`].
pub const DEFAULT_DECODE_BUDGET: u64 = 512 * 1024 * 1024;
/// The images one user may keep, unless [`ImageService::with_max_per_owner`] says.
pub const DEFAULT_MAX_PER_OWNER: u64 = 1_000;
/// How long an upload refused for a spent decode budget is told to wait.
const BUDGET_RETRY_AFTER_SECS: u64 = 1;

impl ImageService {
    pub fn new(
        db: DatabaseConnection,
        blobs: Arc<dyn BlobStore>,
        queue: Arc<dyn JobQueue>,
        retry: RetryPolicy,
    ) -> Self {
        Self {
            db,
            blobs,
            queue,
            retry,
            budget: DecodeBudget::new(DEFAULT_DECODE_BUDGET),
            max_per_owner: DEFAULT_MAX_PER_OWNER,
        }
    }

    /// Bounds the memory that decoding holds at once, uploads and jobs together.
    pub fn with_decode_budget(mut self, budget: DecodeBudget) -> Self {
        self.budget = budget;
        self
    }

    /// Bounds how many images one user may keep.
    pub fn with_max_per_owner(mut self, max: u64) -> Self {
        self.max_per_owner = max;
        self
    }

    pub fn decode_budget(&self) -> &DecodeBudget {
        &self.budget
    }

    pub fn queue(&self) -> &Arc<dyn JobQueue> {
        &self.queue
    }

    /// Whether the image store answers (for readiness).
    pub async fn ping_store(&self) -> Result<(), crate::storage::blobs::BlobError> {
        self.blobs.ping().await
    }

    /// Checks an upload, stores the original, records the image and queues its job.
    /// Returns once the job is durable; nothing is resized yet.
    #[tracing::instrument(skip_all, fields(owner_id, bytes = bytes.len()), err(level = "debug"))]
    pub async fn accept(&self, owner_id: i64, bytes: Vec<u8>) -> Result<Uuid, DomainError> {
        let (header, bytes) = tokio::task::spawn_blocking(move || {
            let header = process::read_header(&bytes);
            (header, bytes)
        })
        .await?;
        let probe = header.map_err(rejected)?;
        self.check_room(owner_id).await?;
        let reservation = self.reserve_for_upload(&probe)?;
        let (verified, bytes) = tokio::task::spawn_blocking(move || {
            let verified = process::verify(&bytes, &probe, reservation.bytes());
            drop(reservation);
            (verified, bytes)
        })
        .await?;
        verified.map_err(rejected)?;
        let id = Uuid::new_v4();
        let size = bytes.len() as i64;
        self.blobs.put(&original_key(id), bytes).await?;
        let now = Utc::now();
        images::ActiveModel {
            id: Set(id.to_string()),
            owner_id: Set(owner_id),
            status: Set(ImageStatus::Processing.as_str().to_string()),
            content_type: Set(probe.kind.content_type().to_string()),
            width: Set(probe.width as i32),
            height: Set(probe.height as i32),
            bytes: Set(size),
            variants: Set(None),
            error: Set(None),
            attempts: Set(0),
            available_at: Set(now),
            lease_until: Set(None),
            lease_token: Set(None),
            created_at: Set(now),
            completed_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        if let Err(error) = self.queue.push(id).await {
            // Not queued: take the row back, so a failed upload leaves no image behind
            // (the orphaned original is overwritten by nobody and read by nobody).
            images::Entity::delete_by_id(id.to_string())
                .exec(&self.db)
                .await?;
            return Err(error.context("Failed to queue an image job").into());
        }
        Ok(id)
    }

    /// Refuses an upload from a user who keeps as many images as they may.
    async fn check_room(&self, owner_id: i64) -> Result<(), DomainError> {
        use sea_orm::PaginatorTrait;
        let stored = images::Entity::find()
            .filter(images::Column::OwnerId.eq(owner_id))
            .count(&self.db)
            .await?;
        if stored >= self.max_per_owner {
            return Err(DomainError::LimitReached(format!(
                "You keep {stored} images, the most one user may keep ({}).",
                self.max_per_owner
            )));
        }
        Ok(())
    }

    /// The memory to check an upload with: refused now when others hold the budget,
    /// and for good when the image's job could never fit in it.
    fn reserve_for_upload(&self, probe: &Probe) -> Result<budget::Reservation, DomainError> {
        let total = self.budget.total();
        if probe.process_cost() > total {
            return Err(rejected(Rejection::TooLarge {
                needed: probe.process_cost(),
                allowed: total,
            }));
        }
        self.budget
            .try_reserve(probe.decode_cost())
            .map_err(|error| match error {
                BudgetError::Spent => DomainError::Busy {
                    detail: "Images are being decoded up to the memory allowed for it; \
                             retry shortly."
                        .to_string(),
                    retry_after_secs: BUDGET_RETRY_AFTER_SECS,
                },
                BudgetError::TooLarge { needed, total } => rejected(Rejection::TooLarge {
                    needed,
                    allowed: total,
                }),
            })
    }

    async fn owned(&self, owner_id: i64, id: Uuid) -> Result<images::Model, DomainError> {
        images::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
            .filter(|row| row.owner_id == owner_id)
            .ok_or_else(|| DomainError::NotFound {
                resource: "image",
                id: id.to_string(),
            })
    }

    /// The image, if `owner_id` uploaded it; anyone else's is not found.
    pub async fn get(&self, owner_id: i64, id: Uuid) -> Result<ImageRecord, DomainError> {
        record(self.owned(owner_id, id).await?)
    }

    /// One variant's bytes: not ready while processing, not found after a failure.
    pub async fn variant(
        &self,
        owner_id: i64,
        id: Uuid,
        size: Size,
    ) -> Result<VariantBytes, DomainError> {
        let info = self.variant_info(owner_id, id, size).await?;
        self.variant_bytes(id, size, info).await
    }

    /// One variant's metadata, its `etag` included, from the database alone (the store
    /// is not asked): not ready while processing, not found after a failure.
    pub async fn variant_info(
        &self,
        owner_id: i64,
        id: Uuid,
        size: Size,
    ) -> Result<VariantInfo, DomainError> {
        let image = record(self.owned(owner_id, id).await?)?;
        let not_found = || DomainError::NotFound {
            resource: "image variant",
            id: format!("{id}/{}", size.name()),
        };
        match image.status {
            ImageStatus::Processing => {
                return Err(DomainError::NotReady(
                    "The image is still being processed.".to_string(),
                ));
            }
            ImageStatus::Failed => return Err(not_found()),
            ImageStatus::Done => {}
        }
        image
            .variants
            .unwrap_or_default()
            .into_iter()
            .find(|v| v.size == size.name())
            .ok_or_else(not_found)
    }

    /// The bytes of the variant that `info` describes, from the store.
    pub async fn variant_bytes(
        &self,
        id: Uuid,
        size: Size,
        info: VariantInfo,
    ) -> Result<VariantBytes, DomainError> {
        let bytes = self
            .blobs
            .get(&variant_key(id, size))
            .await?
            .ok_or_else(|| anyhow::anyhow!("variant {id}/{} is missing", size.name()))?;
        let content_type = Kind::from_content_type(&info.content_type)
            .map(Kind::content_type)
            .ok_or_else(|| anyhow::anyhow!("unknown stored type {}", info.content_type))?;
        Ok(VariantBytes {
            content_type,
            etag: info.etag,
            bytes,
        })
    }

    /// One attempt at an image's job. Safe to repeat: variants are written under
    /// fixed keys (a rerun replaces them with the same bytes) and only the first
    /// attempt to finish moves the image out of `processing`.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn run_job(&self, id: Uuid) -> anyhow::Result<Outcome> {
        let Some(row) = images::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
        else {
            return Ok(Outcome::Skipped);
        };
        if row.status != ImageStatus::Processing.as_str() {
            return Ok(Outcome::Skipped);
        }
        let attempt = u32::try_from(row.attempts).unwrap_or(0) + 1;
        images::Entity::update_many()
            .col_expr(images::Column::Attempts, Expr::value(attempt as i32))
            .filter(images::Column::Id.eq(id.to_string()))
            .exec(&self.db)
            .await?;
        if attempt > self.retry.max_attempts {
            let error = format!("gave up after {} attempts", self.retry.max_attempts);
            return self.fail(id, error).await;
        }
        match self.make_variants(id, &row).await {
            Ok(variants) => {
                let finished = images::Entity::update_many()
                    .col_expr(images::Column::Status, Expr::value("done"))
                    .col_expr(
                        images::Column::Variants,
                        Expr::value(serde_json::to_string(&variants)?),
                    )
                    .col_expr(images::Column::CompletedAt, Expr::value(Utc::now()))
                    .filter(images::Column::Id.eq(id.to_string()))
                    .filter(images::Column::Status.eq("processing"))
                    .exec(&self.db)
                    .await?;
                Ok(if finished.rows_affected == 1 {
                    Outcome::Done
                } else {
                    Outcome::Skipped
                })
            }
            Err(error) if attempt >= self.retry.max_attempts => {
                self.fail(id, format!("{error:#}")).await
            }
            Err(error) => Ok(Outcome::Retry {
                after: self.retry.delay(attempt),
                error: format!("{error:#}"),
            }),
        }
    }

    async fn make_variants(
        &self,
        id: Uuid,
        row: &images::Model,
    ) -> anyhow::Result<Vec<VariantInfo>> {
        let kind = Kind::from_content_type(&row.content_type)
            .with_context(|| format!("unknown original type {}", row.content_type))?;
        let original = self
            .blobs
            .get(&original_key(id))
            .await?
            .context("the original is missing from storage")?;
        let (header, original) = tokio::task::spawn_blocking(move || {
            let header = process::read_header(&original);
            (header, original)
        })
        .await?;
        let probe = header.map_err(|e| anyhow::anyhow!("resizing failed: {e}"))?;
        anyhow::ensure!(
            probe.kind == kind,
            "the original is a {:?}, stored as {kind:?}",
            probe.kind
        );
        // Waits for its share of the decode budget: jobs queue, uploads are refused.
        let reservation = self
            .budget
            .reserve(probe.process_cost())
            .await
            .map_err(|e| anyhow::anyhow!("resizing cannot start: {e}"))?;
        let variants = tokio::task::spawn_blocking(move || {
            let variants = process::make_variants(&original, &probe, reservation.bytes());
            drop(reservation);
            variants
        })
        .await?
        .map_err(|e| anyhow::anyhow!("resizing failed: {e}"))?;
        let mut infos = Vec::with_capacity(variants.len());
        for variant in variants {
            let info = VariantInfo {
                size: variant.size.name().to_string(),
                width: variant.width,
                height: variant.height,
                content_type: variant.content_type.to_string(),
                bytes: variant.bytes.len() as u64,
                etag: etag_of(&variant.bytes),
            };
            self.blobs
                .put(&variant_key(id, variant.size), variant.bytes)
                .await?;
            infos.push(info);
        }
        Ok(infos)
    }

    /// Queues again every job still processing that was accepted more than `age` ago.
    /// For a queue outside the database: an accepted upload whose push was cut short
    /// (the process died between the row and the push) is otherwise never run. A job
    /// queued twice runs twice at worst, which is harmless (see `run_job`).
    pub async fn requeue_processing(&self, age: std::time::Duration) -> anyhow::Result<usize> {
        let before = Utc::now() - age;
        let ids: Vec<String> = images::Entity::find()
            .select_only()
            .column(images::Column::Id)
            .filter(images::Column::Status.eq("processing"))
            .filter(images::Column::CreatedAt.lt(before))
            .into_tuple()
            .all(&self.db)
            .await?;
        for id in &ids {
            self.queue.push(id.parse()?).await?;
        }
        Ok(ids.len())
    }

    async fn fail(&self, id: Uuid, error: String) -> anyhow::Result<Outcome> {
        images::Entity::update_many()
            .col_expr(images::Column::Status, Expr::value("failed"))
            .col_expr(images::Column::Error, Expr::value(error.clone()))
            .col_expr(images::Column::CompletedAt, Expr::value(Utc::now()))
            .filter(images::Column::Id.eq(id.to_string()))
            .filter(images::Column::Status.eq("processing"))
            .exec(&self.db)
            .await?;
        Ok(Outcome::Failed { error })
    }
}

/// An upload refused for what it is: 415 for another kind, else a 422 naming `file`.
fn rejected(rejection: Rejection) -> DomainError {
    match rejection {
        Rejection::Unsupported => DomainError::Unsupported(rejection.to_string()),
        other => DomainError::invalid("file", other.to_string()),
    }
}

fn record(row: images::Model) -> Result<ImageRecord, DomainError> {
    let variants = row
        .variants
        .as_deref()
        .map(serde_json::from_str::<Vec<VariantInfo>>)
        .transpose()
        .context("Failed to read stored variants")?;
    Ok(ImageRecord {
        id: row.id.parse().context("Failed to read a stored image id")?,
        status: ImageStatus::parse(&row.status),
        kind: Kind::from_content_type(&row.content_type)
            .with_context(|| format!("unknown stored type {}", row.content_type))?,
        width: row.width as u32,
        height: row.height as u32,
        bytes: row.bytes as u64,
        variants,
        error: row.error,
        created_at: row.created_at,
        completed_at: row.completed_at,
    })
}

#[cfg(test)]
mod tests;
