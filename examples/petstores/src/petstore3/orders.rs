//! The `store` operations: the inventory and orders.

use std::collections::HashMap;

use apiary_runtime::{Accept, Json};
use poem_openapi::payload::PlainText;

use super::{Store, prefers_xml};
use crate::auth::Principal;
use crate::generated::petstore3::*;
use crate::xml;

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

    async fn get_order_by_id(&self, accept: Accept, order_id: i64) -> GetOrderByIdResponse {
        let data = self.data();
        let Some(order) = data.orders.get(&order_id) else {
            return GetOrderByIdResponse::NotFound;
        };
        GetOrderByIdResponse::Ok(if prefers_xml(&accept) {
            GetOrderById200Content::ApplicationXml(PlainText(xml::write_order(order)))
        } else {
            GetOrderById200Content::ApplicationJson(Json(order.clone()))
        })
    }

    async fn delete_order(&self, order_id: i64) -> DeleteOrderResponse {
        match self.data().orders.remove(&order_id) {
            Some(_) => DeleteOrderResponse::Ok,
            None => DeleteOrderResponse::NotFound,
        }
    }
}
