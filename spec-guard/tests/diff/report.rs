//! How findings read: one line each, with location, rule, change and why.

use serde_json::json;
use spec_guard::{BreakingRule as Rule, diff};

use crate::{USER_CREATE, body_property, common::*};

#[test]
fn each_finding_is_one_line_with_location_rule_and_why() {
    let new = edited(|d| {
        set(
            d,
            &format!("{USER_CREATE}/properties/email/maxLength"),
            json!(100),
        )
    });
    let report = diff(&base(), &new);
    let line = report.findings[0].to_string();
    assert_eq!(
        line,
        format!(
            "{}: request-length-tightened: maxLength 254 -> 100; values that clients could send \
             before are now refused (defined at components.schemas.UserCreate.properties.email)",
            body_property("email")
        )
    );
    assert!(!line.contains('\n'));
}

#[test]
fn every_rule_explains_itself() {
    for rule in Rule::ALL {
        assert!(!rule.why().is_empty(), "{rule}");
        assert_eq!(rule.to_string(), rule.id());
    }
}
