//! Breaking: parameters and request bodies, which may only accept more.

use serde_json::json;
use spec_guard::BreakingRule as Rule;

use crate::{USER_CREATE, body_property, common::*};

#[test]
fn a_parameter_that_becomes_required() {
    let new = edited(|d| set(d, "/paths/~1users/get/parameters/1/required", json!(true)));
    assert_edit_breaks(
        &new,
        Rule::ParameterBecameRequired,
        "paths./users.get.parameters.query.q",
    );
}

#[test]
fn a_new_required_parameter() {
    let tenant = json!({"name": "X-Tenant", "in": "header", "required": true, "description": "Tenant.", "schema": {"type": "string"}});
    let new = edited(|d| push(d, "/paths/~1users/get/parameters", tenant));
    assert_edit_breaks(
        &new,
        Rule::ParameterAddedRequired,
        "paths./users.get.parameters.header.X-Tenant",
    );
}

#[test]
fn a_parameter_narrowed_through_its_component() {
    let new = edited(|d| set(d, "/components/parameters/Limit/schema/maximum", json!(50)));
    let report = assert_edit_breaks(
        &new,
        Rule::RequestRangeTightened,
        "paths./users.get.parameters.query.limit.schema",
    );
    assert_eq!(
        report.findings[0].defined_at.as_deref(),
        Some("components.parameters.Limit.schema")
    );
    assert_eq!(report.findings[0].change, "maximum 100 -> 50");
}

#[test]
fn a_parameter_length_tightened() {
    let new = edited(|d| {
        set(
            d,
            "/paths/~1users/get/parameters/1/schema/maxLength",
            json!(50),
        )
    });
    assert_edit_breaks(
        &new,
        Rule::RequestLengthTightened,
        "paths./users.get.parameters.query.q.schema",
    );
}

// Request bodies.

#[test]
fn a_request_body_that_becomes_required() {
    let old = edited(|d| set(d, "/paths/~1users/post/requestBody/required", json!(false)));
    assert_breaks(
        &old,
        &base(),
        Rule::RequestBodyBecameRequired,
        "paths./users.post.requestBody",
    );
}

#[test]
fn a_new_required_request_body() {
    let body =
        json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}}}});
    let new = edited(|d| set(d, "/paths/~1users~1{id}/get/requestBody", body));
    assert_edit_breaks(
        &new,
        Rule::RequestBodyBecameRequired,
        "paths./users/{id}.get.requestBody",
    );
}

#[test]
fn a_removed_request_media_type() {
    let new = edited(|d| {
        rename(
            d,
            "/paths/~1users/post/requestBody/content/application~1json",
            "/paths/~1users/post/requestBody/content/application~1x-www-form-urlencoded",
        )
    });
    assert_edit_breaks(
        &new,
        Rule::RequestMediaTypeRemoved,
        "paths./users.post.requestBody.content.application/json",
    );
}

#[test]
fn a_request_property_that_becomes_required() {
    let new = edited(|d| push(d, &format!("{USER_CREATE}/required"), json!("nickname")));
    let report = assert_edit_breaks(
        &new,
        Rule::RequestPropertyBecameRequired,
        &body_property("nickname"),
    );
    assert_eq!(
        report.findings[0].defined_at.as_deref(),
        Some("components.schemas.UserCreate.properties.nickname")
    );
}

#[test]
fn a_new_required_request_property() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/tenant"),
            json!({"type": "string", "description": "Tenant."}),
        );
        push(d, &format!("{USER_CREATE}/required"), json!("tenant"));
    });
    assert_edit_breaks(
        &new,
        Rule::RequestPropertyAddedRequired,
        &body_property("tenant"),
    );
}

#[test]
fn a_request_property_removed_from_a_closed_object() {
    let new = edited(|d| drop(remove(d, &format!("{USER_CREATE}/properties/age"))));
    assert_edit_breaks(&new, Rule::RequestPropertyRemoved, &body_property("age"));
}

#[test]
fn a_request_type_changed() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/age/type"),
            json!("string"),
        )
    });
    let report = assert_edit_breaks(&new, Rule::RequestTypeNarrowed, &body_property("age"));
    assert_eq!(report.findings[0].change, "type integer -> string");
}

#[test]
fn a_request_number_that_becomes_an_integer() {
    let old = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/age/type"),
            json!("number"),
        )
    });
    assert_breaks(
        &old,
        &base(),
        Rule::RequestTypeNarrowed,
        &body_property("age"),
    );
}

#[test]
fn a_request_property_no_longer_nullable() {
    let new = edited(|d| {
        drop(remove(
            d,
            &format!("{USER_CREATE}/properties/phone/nullable"),
        ))
    });
    assert_edit_breaks(&new, Rule::RequestTypeNarrowed, &body_property("phone"));
}

#[test]
fn a_request_format_added() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/phone/format"),
            json!("uuid"),
        )
    });
    let report = assert_edit_breaks(&new, Rule::RequestTypeNarrowed, &body_property("phone"));
    assert_eq!(report.findings[0].change, "format none -> uuid");
}

#[test]
fn a_request_enum_value_removed() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/role/enum"),
            json!(["admin"]),
        )
    });
    let report = assert_edit_breaks(&new, Rule::RequestEnumValueRemoved, &body_property("role"));
    assert_eq!(report.findings[0].change, "\"member\" no longer accepted");
}

#[test]
fn a_request_enum_added() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/nickname/enum"),
            json!(["ada"]),
        )
    });
    assert_edit_breaks(
        &new,
        Rule::RequestEnumValueRemoved,
        &body_property("nickname"),
    );
}

#[test]
fn a_request_pattern_changed() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/nickname/pattern"),
            json!("^[a-z0-9]+$"),
        )
    });
    assert_edit_breaks(
        &new,
        Rule::RequestPatternChanged,
        &body_property("nickname"),
    );
}

#[test]
fn a_request_pattern_added() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/email/pattern"),
            json!("@example\\.com$"),
        )
    });
    assert_edit_breaks(&new, Rule::RequestPatternChanged, &body_property("email"));
}

#[test]
fn a_request_max_length_tightened() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/email/maxLength"),
            json!(100),
        )
    });
    let report = assert_edit_breaks(&new, Rule::RequestLengthTightened, &body_property("email"));
    assert_eq!(report.findings[0].change, "maxLength 254 -> 100");
}

#[test]
fn a_request_min_length_tightened() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/nickname/minLength"),
            json!(3),
        )
    });
    assert_edit_breaks(
        &new,
        Rule::RequestLengthTightened,
        &body_property("nickname"),
    );
}

#[test]
fn a_request_maximum_tightened() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/age/maximum"),
            json!(120),
        )
    });
    assert_edit_breaks(&new, Rule::RequestRangeTightened, &body_property("age"));
}

#[test]
fn a_request_minimum_made_exclusive() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/age/exclusiveMinimum"),
            json!(true),
        )
    });
    let report = assert_edit_breaks(&new, Rule::RequestRangeTightened, &body_property("age"));
    assert_eq!(report.findings[0].change, "minimum 0 -> 0 (exclusive)");
}
