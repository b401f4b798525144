//! `products` tag: the catalogue.

use apiary_runtime::Json;

use super::Api;
use crate::domain::products::NewProduct;
use crate::domain::tokens::Principal;
use crate::generated::{
    CreateProductResponse, GetProductResponse, ListProductsResponse, ListProductsV2Response,
    Problem, Product, ProductCreate, ProductPage, ProductsApi, SearchProductsResponse,
};

impl ProductsApi for Api {
    async fn list_products(&self, limit: i32, offset: i64) -> ListProductsResponse {
        // The spec bounds both (1..=100, >= 0), so the conversions cannot fail.
        let (limit, offset) = (limit.unsigned_abs().into(), offset.unsigned_abs());
        match self.products.list(limit, offset).await {
            Ok((products, total)) => ListProductsResponse::Ok(
                Json(products.into_iter().map(Product::from).collect()),
                i64::try_from(total).unwrap_or(i64::MAX),
            ),
            Err(error) => ListProductsResponse::from_problem(error),
        }
    }

    async fn list_products_v2(&self, limit: i32, cursor: Option<String>) -> ListProductsV2Response {
        let after = match cursor.as_deref().map(cursor::decode) {
            None => None,
            Some(Some(id)) => Some(id),
            Some(None) => {
                return ListProductsV2Response::from_problem(Problem::validation(vec![
                    crate::generated::FieldError {
                        field: "cursor".into(),
                        message: "is not a cursor this service issued".into(),
                    },
                ]));
            }
        };
        match self
            .products
            .page_after(after, limit.unsigned_abs().into())
            .await
        {
            Ok((products, next)) => ListProductsV2Response::Ok(Json(ProductPage {
                items: products.into_iter().map(Product::from).collect(),
                next_cursor: next.map(cursor::encode),
            })),
            Err(error) => ListProductsV2Response::from_problem(error),
        }
    }

    async fn create_product(&self, _auth: Principal, body: ProductCreate) -> CreateProductResponse {
        let new_product = NewProduct {
            name: body.name,
            description: body.description,
            price_cents: body.price_cents,
            currency: body.currency,
        };
        match self.products.create(new_product).await {
            Ok(product) => {
                let location = super::location_of(product.id);
                CreateProductResponse::Created(Json(product.into()), location)
            }
            Err(error) => CreateProductResponse::from_problem(error),
        }
    }

    async fn search_products(&self, q: String, limit: i32) -> SearchProductsResponse {
        match self.products.search(&q, limit.unsigned_abs().into()).await {
            Ok(products) => {
                SearchProductsResponse::Ok(Json(products.into_iter().map(Product::from).collect()))
            }
            Err(error) => SearchProductsResponse::from_problem(error),
        }
    }

    async fn get_product(&self, product_id: i64) -> GetProductResponse {
        match self.products.get(product_id).await {
            Ok(product) => GetProductResponse::Ok(Json(product.into())),
            Err(error) => GetProductResponse::from_problem(error),
        }
    }
}

impl From<crate::domain::products::Product> for Product {
    fn from(product: crate::domain::products::Product) -> Self {
        Self {
            id: product.id,
            name: product.name,
            description: product.description,
            price_cents: product.price_cents,
            currency: product.currency,
            created_at: product.created_at,
        }
    }
}

/// Opaque page cursors: the last id of a page, so clients cannot come to depend on
/// their shape.
mod cursor {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    const PREFIX: &str = "after:";

    pub fn encode(last_id: i64) -> String {
        URL_SAFE_NO_PAD.encode(format!("{PREFIX}{last_id}"))
    }

    pub fn decode(cursor: &str) -> Option<i64> {
        let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        std::str::from_utf8(&bytes)
            .ok()?
            .strip_prefix(PREFIX)?
            .parse()
            .ok()
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn cursors_round_trip_and_refuse_forgeries() {
            assert_eq!(super::decode(&super::encode(1234)), Some(1234));
            for bad in ["", "!!", "MTIz", "YWZ0ZXI6eA"] {
                assert_eq!(super::decode(bad), None, "{bad}");
            }
        }
    }
}
