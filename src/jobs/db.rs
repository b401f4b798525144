//! The database as the job queue: the `images` row is the job. A claim is a
//! conditional update (only one claimer wins a row) that holds the job until its lease
//! runs out; a worker that dies just lets the lease run out. Works the same on SQLite
//! and PostgreSQL.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use tokio::sync::Notify;
use uuid::Uuid;

use super::{JobQueue, Lease};
use crate::storage::entities::images::{Column, Entity};

/// Candidates looked at per claim; another worker may win some of them.
const CLAIM_BATCH: u64 = 8;

pub struct DbQueue {
    db: DatabaseConnection,
    visibility: Duration,
    pushed: Notify,
}

impl DbQueue {
    pub fn new(db: DatabaseConnection, visibility: Duration) -> Self {
        Self {
            db,
            visibility,
            pushed: Notify::new(),
        }
    }

    fn claimable(now: chrono::DateTime<Utc>) -> Condition {
        Condition::all()
            .add(Column::Status.eq("processing"))
            .add(Column::AvailableAt.lte(now))
            .add(
                Condition::any()
                    .add(Column::LeaseUntil.is_null())
                    .add(Column::LeaseUntil.lt(now)),
            )
    }

    async fn set_lease(
        &self,
        lease: &Lease,
        available_at: Option<chrono::DateTime<Utc>>,
    ) -> anyhow::Result<()> {
        let mut update = Entity::update_many()
            .col_expr(
                Column::LeaseUntil,
                Expr::value(None::<chrono::DateTime<Utc>>),
            )
            .col_expr(Column::LeaseToken, Expr::value(None::<String>));
        if let Some(at) = available_at {
            update = update.col_expr(Column::AvailableAt, Expr::value(at));
        }
        update
            .filter(Column::Id.eq(lease.image_id.to_string()))
            .filter(Column::LeaseToken.eq(lease.token.clone()))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl JobQueue for DbQueue {
    fn backend(&self) -> &'static str {
        "database"
    }

    async fn push(&self, _image_id: Uuid) -> anyhow::Result<()> {
        // The image's row, written before this, is the job.
        self.pushed.notify_waiters();
        Ok(())
    }

    async fn claim(&self) -> anyhow::Result<Option<Lease>> {
        let now = Utc::now();
        let candidates: Vec<String> = Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Self::claimable(now))
            .order_by_asc(Column::AvailableAt)
            .limit(CLAIM_BATCH)
            .into_tuple()
            .all(&self.db)
            .await?;
        let lease_until = now + self.visibility;
        for id in candidates {
            let token = Uuid::new_v4().to_string();
            let claimed = Entity::update_many()
                .col_expr(Column::LeaseUntil, Expr::value(lease_until))
                .col_expr(Column::LeaseToken, Expr::value(token.clone()))
                .filter(Column::Id.eq(id.clone()))
                .filter(Self::claimable(now))
                .exec(&self.db)
                .await?;
            if claimed.rows_affected == 1 {
                return Ok(Some(Lease {
                    image_id: id.parse()?,
                    token,
                }));
            }
        }
        Ok(None)
    }

    fn visibility(&self) -> Duration {
        self.visibility
    }

    async fn extend(&self, lease: &Lease) -> anyhow::Result<bool> {
        let renewed = Entity::update_many()
            .col_expr(
                Column::LeaseUntil,
                Expr::value(Utc::now() + self.visibility),
            )
            .filter(Column::Id.eq(lease.image_id.to_string()))
            .filter(Column::LeaseToken.eq(lease.token.clone()))
            .exec(&self.db)
            .await?;
        Ok(renewed.rows_affected == 1)
    }

    async fn ack(&self, lease: &Lease) -> anyhow::Result<()> {
        self.set_lease(lease, None).await
    }

    async fn retry(&self, lease: &Lease, after: Duration) -> anyhow::Result<()> {
        self.set_lease(lease, Some(Utc::now() + after)).await
    }

    async fn release(&self, lease: &Lease) -> anyhow::Result<()> {
        self.set_lease(lease, None).await
    }

    async fn depth(&self) -> anyhow::Result<u64> {
        Ok(Entity::find()
            .filter(Column::Status.eq("processing"))
            .count(&self.db)
            .await?)
    }

    async fn wait(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.pushed.notified()).await;
    }
}
