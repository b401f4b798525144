//! Breaking: responses, which may only promise more.

use serde_json::json;
use spec_guard::BreakingRule as Rule;

use crate::{USER, common::*, listed_property};

#[test]
fn a_removed_response_status() {
    let new = edited(|d| drop(remove(d, "/paths/~1users~1{id}/get/responses/404")));
    assert_edit_breaks(
        &new,
        Rule::ResponseStatusRemoved,
        "paths./users/{id}.get.responses.404",
    );
}

#[test]
fn a_removed_response_media_type() {
    let new = edited(|d| {
        rename(
            d,
            "/paths/~1users~1{id}/get/responses/200/content/application~1json",
            "/paths/~1users~1{id}/get/responses/200/content/application~1xml",
        )
    });
    assert_edit_breaks(
        &new,
        Rule::ResponseMediaTypeRemoved,
        "paths./users/{id}.get.responses.200.content.application/json",
    );
}

#[test]
fn a_removed_response_media_type_of_a_shared_response() {
    let new = edited(|d| {
        rename(
            d,
            "/components/responses/Problem/content/application~1problem+json",
            "/components/responses/Problem/content/text~1plain",
        )
    });
    let report = assert_edit_breaks(
        &new,
        Rule::ResponseMediaTypeRemoved,
        "paths./users/{id}.get.responses.404.content.application/problem+json",
    );
    // Every operation that uses the shared response is named.
    assert_eq!(report.findings.len(), 3, "{report}");
    assert!(report.findings.iter().all(|f| {
        f.defined_at.as_deref()
            == Some("components.responses.Problem.content.application/problem+json")
    }));
}

#[test]
fn a_removed_response_header() {
    let new = edited(|d| {
        drop(remove(
            d,
            "/paths/~1users/get/responses/200/headers/X-Total-Count",
        ))
    });
    assert_edit_breaks(
        &new,
        Rule::ResponseHeaderRemoved,
        "paths./users.get.responses.200.headers.X-Total-Count",
    );
}

#[test]
fn a_removed_response_property() {
    let new = edited(|d| drop(remove(d, &format!("{USER}/properties/nickname"))));
    let report = assert_edit_breaks(
        &new,
        Rule::ResponsePropertyRemoved,
        &listed_property("nickname"),
    );
    assert_eq!(
        report.findings[0].defined_at.as_deref(),
        Some("components.schemas.User.properties.nickname")
    );
}

#[test]
fn a_response_property_that_becomes_optional() {
    let new = edited(|d| set(d, &format!("{USER}/required"), json!(["id", "email"])));
    assert_edit_breaks(
        &new,
        Rule::ResponsePropertyBecameOptional,
        &listed_property("status"),
    );
}

#[test]
fn a_response_property_that_becomes_nullable() {
    let new = edited(|d| set(d, &format!("{USER}/properties/phone/nullable"), json!(true)));
    assert_edit_breaks(
        &new,
        Rule::ResponsePropertyBecameNullable,
        &listed_property("phone"),
    );
}

#[test]
fn a_response_integer_that_becomes_a_number() {
    let new = edited(|d| set(d, &format!("{USER}/properties/id/type"), json!("number")));
    assert_edit_breaks(&new, Rule::ResponseTypeWidened, &listed_property("id"));
}

#[test]
fn a_response_format_removed() {
    let new = edited(|d| drop(remove(d, &format!("{USER}/properties/email/format"))));
    assert_edit_breaks(&new, Rule::ResponseTypeWidened, &listed_property("email"));
}

#[test]
fn a_response_enum_value_added() {
    let new = edited(|d| {
        push(
            d,
            &format!("{USER}/properties/status/enum"),
            json!("deleted"),
        )
    });
    let report = assert_edit_breaks(
        &new,
        Rule::ResponseEnumValueAdded,
        &listed_property("status"),
    );
    assert_eq!(report.findings[0].change, "\"deleted\" may now be answered");
}

#[test]
fn a_response_pattern_removed() {
    let new = edited(|d| drop(remove(d, &format!("{USER}/properties/nickname/pattern"))));
    assert_edit_breaks(
        &new,
        Rule::ResponsePatternChanged,
        &listed_property("nickname"),
    );
}

#[test]
fn a_response_max_length_loosened() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER}/properties/nickname/maxLength"),
            json!(100),
        )
    });
    assert_edit_breaks(
        &new,
        Rule::ResponseLengthLoosened,
        &listed_property("nickname"),
    );
}

#[test]
fn a_response_array_max_items_removed() {
    let new = edited(|d| {
        drop(remove(
            d,
            "/paths/~1users/get/responses/200/content/application~1json/schema/maxItems",
        ))
    });
    let report = assert_edit_breaks(
        &new,
        Rule::ResponseLengthLoosened,
        "paths./users.get.responses.200.content.application/json.schema",
    );
    assert_eq!(report.findings[0].change, "maxItems 100 -> none");
}

#[test]
fn a_response_range_loosened() {
    let new = edited(|d| set(d, &format!("{USER}/properties/score/maximum"), json!(100)));
    assert_edit_breaks(&new, Rule::ResponseRangeLoosened, &listed_property("score"));
}

#[test]
fn a_response_header_range_loosened() {
    let new = edited(|d| {
        drop(remove(
            d,
            "/paths/~1users/get/responses/200/headers/X-Total-Count/schema/minimum",
        ))
    });
    assert_edit_breaks(
        &new,
        Rule::ResponseRangeLoosened,
        "paths./users.get.responses.200.headers.X-Total-Count.schema",
    );
}
