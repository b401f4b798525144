//! The catalogue: paging by offset, lookup, creation and search.

#[cfg(test)]
mod tests;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    DatabaseConnection,
};

use super::{DomainError, validate};
use crate::storage::Reader;
use crate::storage::entities::products;

/// Largest page `list` and `search` return (the spec's `limit` maximum).
pub const MAX_LIMIT: u64 = 100;
/// Longest search text (the spec's `q` maximum), in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Highest price accepted (the spec's `price_cents` maximum).
pub const MAX_PRICE_CENTS: i64 = 100_000_000_000;

/// A product in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub price_cents: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

/// A product to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub name: String,
    pub description: Option<String>,
    pub price_cents: i64,
    pub currency: String,
}

impl From<products::Model> for Product {
    fn from(m: products::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            description: m.description,
            price_cents: m.price_cents,
            currency: m.currency,
            created_at: m.created_at,
        }
    }
}

/// Reads and extends the catalogue.
#[derive(Debug, Clone)]
pub struct ProductService {
    reader: Reader,
}

impl ProductService {
    pub fn new(reader: Reader) -> Self {
        Self { reader }
    }

    fn db(&self) -> &DatabaseConnection {
        self.reader.connection()
    }

    /// Up to `limit` (1..=100) products in id order after skipping `offset`, and how
    /// many products there are in all.
    pub async fn list(&self, limit: u64, offset: u64) -> Result<(Vec<Product>, u64), DomainError> {
        check_limit(limit)?;
        // PostgreSQL's OFFSET is a signed 64-bit integer.
        if i64::try_from(offset).is_err() {
            return Err(DomainError::invalid("offset", "is too large"));
        }
        let (page, total) = crate::storage::product_page(&self.reader, limit, offset).await?;
        Ok((page.into_iter().map(Product::from).collect(), total))
    }

    /// Up to `limit` products with ids above `after` (keyset pagination: a page never
    /// skips or repeats a product while others are added), and the id to continue
    /// after when there may be more.
    pub async fn page_after(
        &self,
        after: Option<i64>,
        limit: u64,
    ) -> Result<(Vec<Product>, Option<i64>), DomainError> {
        check_limit(limit)?;
        // One extra row says whether another page exists without a COUNT.
        let mut rows = crate::storage::products_after(&self.reader, after, limit + 1).await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more {
            rows.last().map(|p| p.id)
        } else {
            None
        };
        Ok((rows.into_iter().map(Product::from).collect(), next))
    }

    /// The product with this id.
    pub async fn get(&self, id: i64) -> Result<Product, DomainError> {
        crate::storage::product_by_id(&self.reader, id)
            .await?
            .map(Product::from)
            .ok_or_else(|| DomainError::NotFound {
                resource: "product",
                id: id.to_string(),
            })
    }

    /// Adds a product: name 1..=200 characters, description at most 2,000,
    /// `price_cents` 0..=10^11, currency an ISO 4217 code.
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn create(&self, new: NewProduct) -> Result<Product, DomainError> {
        validate::char_len("name", &new.name, 1, 200)?;
        validate::no_nul("name", &new.name)?;
        if let Some(description) = &new.description {
            validate::char_len("description", description, 0, 2000)?;
            validate::no_nul("description", description)?;
        }
        if !(0..=MAX_PRICE_CENTS).contains(&new.price_cents) {
            return Err(DomainError::invalid(
                "price_cents",
                format!("must be from 0 to {MAX_PRICE_CENTS}"),
            ));
        }
        validate::currency("currency", &new.currency)?;
        let model = products::ActiveModel {
            id: NotSet,
            name: Set(new.name),
            description: Set(new.description),
            price_cents: Set(new.price_cents),
            currency: Set(new.currency),
            // Microseconds: what PostgreSQL keeps, so the returned value is the stored one.
            created_at: Set(Utc::now().trunc_subsecs(6)),
        }
        .insert(self.db())
        .await?;
        Ok(model.into())
    }

    /// Up to `limit` (1..=100) products whose name or description contains `q`
    /// (1..=100 characters), ignoring case, in id order. `%`, `_` and `\` in `q` match
    /// themselves.
    ///
    /// Every letter's case is ignored, with one exception: on SQLite, a `q` of one or
    /// two characters is too short for the search index, and the scan that serves it
    /// folds ASCII letters only (others match only in lower case).
    pub async fn search(&self, q: &str, limit: u64) -> Result<Vec<Product>, DomainError> {
        check_limit(limit)?;
        validate::char_len("q", q, 1, MAX_QUERY_CHARS)?;
        // No stored text holds a NUL (names and descriptions refuse it), and neither
        // database can take one in a LIKE pattern (PostgreSQL refuses it, SQLite cuts
        // the pattern there): nothing matches.
        if q.contains('\0') {
            return Ok(Vec::new());
        }
        let found = crate::storage::search_products(&self.reader, q, limit).await?;
        Ok(found.into_iter().map(Product::from).collect())
    }
}

fn check_limit(limit: u64) -> Result<(), DomainError> {
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "limit",
            format!("must be from 1 to {MAX_LIMIT}"),
        ))
    }
}
