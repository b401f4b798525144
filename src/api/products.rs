//! `products` tag: the catalogue.

use poem_openapi::payload::Json;

use super::Api;
use crate::domain::products::NewProduct;
use crate::generated::{
    CreateProductResponse, GetProductResponse, ListProductsResponse, Product, ProductCreate,
    ProductsApi, SearchProductsResponse,
};
use crate::runtime::Principal;

impl ProductsApi for Api {
    async fn list_products(&self, limit: i32, offset: i64) -> ListProductsResponse {
        // The spec bounds both (1..=100, >= 0), so the conversions cannot fail.
        let (limit, offset) = (limit.unsigned_abs().into(), offset.unsigned_abs());
        match self.products.list(limit, offset).await {
            Ok((products, total)) => ListProductsResponse::Ok(
                Json(products.into_iter().map(Product::from).collect()),
                i64::try_from(total).unwrap_or(i64::MAX),
            ),
            Err(error) => ListProductsResponse::from_problem(error.into()),
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
                let location = format!("/v1/products/{}", product.id);
                CreateProductResponse::Created(Json(product.into()), location)
            }
            Err(error) => CreateProductResponse::from_problem(error.into()),
        }
    }

    async fn search_products(&self, q: String, limit: i32) -> SearchProductsResponse {
        match self.products.search(&q, limit.unsigned_abs().into()).await {
            Ok(products) => {
                SearchProductsResponse::Ok(Json(products.into_iter().map(Product::from).collect()))
            }
            Err(error) => SearchProductsResponse::from_problem(error.into()),
        }
    }

    async fn get_product(&self, product_id: i64) -> GetProductResponse {
        match self.products.get(product_id).await {
            Ok(product) => GetProductResponse::Ok(Json(product.into())),
            Err(error) => GetProductResponse::from_problem(error.into()),
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
