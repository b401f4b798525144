//! Changes that existing clients survive: each is one edit of the base fixture and
//! must produce no finding at all.

use serde_json::json;

use crate::{USER, USER_CREATE, common::*};

#[test]
fn an_unchanged_document() {
    assert_compatible(&base());
}

#[test]
fn a_new_optional_request_property() {
    assert_compatible(&edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/bio"),
            json!({"type": "string", "description": "About."}),
        )
    }));
}

#[test]
fn a_new_operation_and_a_new_path() {
    let op = json!({"operationId": "deleteUser", "summary": "Delete", "tags": ["users"], "responses": {"204": {"description": "Gone."}}});
    assert_compatible(&edited(|d| {
        set(d, "/paths/~1users~1{id}/delete", op.clone());
        set(d, "/paths/~1teams", json!({"get": op}));
    }));
}

#[test]
fn a_new_response_property() {
    assert_compatible(&edited(|d| {
        set(
            d,
            &format!("{USER}/properties/bio"),
            json!({"type": "string", "description": "About."}),
        )
    }));
}

#[test]
fn a_new_response_status_and_media_type() {
    assert_compatible(&edited(|d| {
        set(
            d,
            "/paths/~1users~1{id}/get/responses/410",
            json!({"$ref": "#/components/responses/Problem"}),
        );
        set(
            d,
            "/paths/~1users~1{id}/get/responses/200/content/application~1xml",
            json!({"schema": {"type": "string"}}),
        );
        set(
            d,
            "/paths/~1users/post/requestBody/content/application~1x-www-form-urlencoded",
            json!({"schema": {"type": "object"}}),
        );
    }));
}

#[test]
fn a_new_optional_parameter() {
    let sort = json!({"name": "sort", "in": "query", "description": "Order.", "schema": {"type": "string"}});
    assert_compatible(&edited(|d| push(d, "/paths/~1users/get/parameters", sort)));
}

#[test]
fn requests_that_accept_more() {
    assert_compatible(&edited(|d| {
        push(
            d,
            &format!("{USER_CREATE}/properties/role/enum"),
            json!("guest"),
        );
        set(
            d,
            &format!("{USER_CREATE}/properties/email/maxLength"),
            json!(320),
        );
        set(
            d,
            &format!("{USER_CREATE}/properties/nickname/minLength"),
            json!(0),
        );
        drop(remove(
            d,
            &format!("{USER_CREATE}/properties/nickname/pattern"),
        ));
        drop(remove(d, &format!("{USER_CREATE}/properties/age/maximum")));
        set(
            d,
            &format!("{USER_CREATE}/properties/age/type"),
            json!("number"),
        );
        set(
            d,
            &format!("{USER_CREATE}/properties/nickname/nullable"),
            json!(true),
        );
        set(d, "/components/parameters/Limit/schema/maximum", json!(500));
    }));
}

#[test]
fn requests_that_ask_for_less() {
    assert_compatible(&edited(|d| {
        set(d, &format!("{USER_CREATE}/required"), json!([]));
        set(d, "/paths/~1users/post/requestBody/required", json!(false));
        drop(remove(d, "/paths/~1users/get/parameters/1"));
        drop(remove(d, &format!("{USER_CREATE}/additionalProperties")));
        drop(remove(d, &format!("{USER_CREATE}/properties/age")));
    }));
}

#[test]
fn responses_that_promise_more() {
    assert_compatible(&edited(|d| {
        set(
            d,
            &format!("{USER}/properties/status/enum"),
            json!(["active"]),
        );
        set(
            d,
            &format!("{USER}/required"),
            json!(["id", "email", "status", "nickname"]),
        );
        set(
            d,
            &format!("{USER}/properties/nickname/maxLength"),
            json!(20),
        );
        set(d, &format!("{USER}/properties/score/minimum"), json!(1));
        set(
            d,
            &format!("{USER}/properties/score/type"),
            json!("integer"),
        );
        set(
            d,
            &format!("{USER}/properties/phone/pattern"),
            json!("^\\+[0-9]+$"),
        );
        set(d, &format!("{USER}/properties/phone/format"), json!("uri"));
    }));
}

#[test]
fn security_that_asks_for_less() {
    assert_compatible(&edited(|d| drop(remove(d, "/paths/~1users/post/security"))));
    assert_compatible(&edited(|d| {
        set(
            d,
            "/components/securitySchemes/apiKey",
            json!({"type": "apiKey", "in": "header", "name": "X-Key"}),
        );
        push(d, "/paths/~1users/post/security", json!({"apiKey": []}));
    }));
    assert_compatible(&edited(|d| {
        set(
            d,
            "/components/securitySchemes/bearerAuth/description",
            json!("Now described."),
        )
    }));
}

#[test]
fn a_renamed_path_parameter() {
    assert_compatible(&edited(|d| {
        rename(d, "/paths/~1users~1{id}", "/paths/~1users~1{user_id}");
        set(
            d,
            "/paths/~1users~1{user_id}/get/parameters/0/name",
            json!("user_id"),
        );
    }));
}

#[test]
fn documentation_only_edits() {
    assert_compatible(&edited(|d| {
        set(d, "/info/description", json!("Now described."));
        set(
            d,
            &format!("{USER}/properties/email/description"),
            json!("Reworded."),
        );
        set(d, "/paths/~1users/get/summary", json!("Reworded."));
    }));
}

#[test]
fn an_inlined_component() {
    // Moving a schema inline (or out into a component) changes no wire format.
    let doc = base();
    let user_create = doc.pointer(USER_CREATE).unwrap().clone();
    assert_compatible(&edited(|d| {
        set(
            d,
            "/paths/~1users/post/requestBody/content/application~1json/schema",
            user_create,
        )
    }));
}

#[test]
fn a_new_required_read_only_property() {
    // readOnly properties are never sent by clients, so requiring one asks nothing of them.
    assert_compatible(&edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/id"),
            json!({"type": "integer", "readOnly": true, "description": "Id."}),
        );
        push(d, &format!("{USER_CREATE}/required"), json!("id"));
    }));
}

#[test]
fn a_media_type_replaced_by_a_range_that_covers_it() {
    assert_compatible(&edited(|d| {
        rename(
            d,
            "/paths/~1users/post/requestBody/content/application~1json",
            "/paths/~1users/post/requestBody/content/application~1*",
        )
    }));
}
