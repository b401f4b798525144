//! The version rule: breaking changes pass only with a greater MAJOR `info.version`,
//! and are still listed then.

use serde_json::json;
use spec_guard::{BreakingRule, check_release, diff};

use crate::common::*;

fn breaking_with_version(version: &str) -> serde_json::Value {
    edited(|d| {
        drop(remove(d, "/paths/~1users/post"));
        set(d, "/info/version", json!(version));
    })
}

#[test]
fn a_breaking_change_without_a_major_bump_fails() {
    for version in ["1.0.0", "1.1.0", "1.0.1", "0.9.0", "not-a-version"] {
        let new = breaking_with_version(version);
        let report = check_release(&base(), &new).expect_err(version);
        assert!(!report.major_bump, "{version}");
        assert_eq!(report.findings.len(), 1, "{report}");
        assert!(report.to_string().contains("verdict: FAIL"), "{report}");
    }
}

#[test]
fn a_major_bump_allows_breaking_changes_and_still_lists_them() {
    for version in ["2.0.0", "2.0.0-rc.1", "v2", "3.1"] {
        let new = breaking_with_version(version);
        assert_eq!(check_release(&base(), &new), Ok(()), "{version}");
        let report = diff(&base(), &new);
        assert!(report.major_bump && report.passes(), "{version}");
        assert_eq!(report.with_rule(BreakingRule::OperationRemoved).count(), 1);
        let shown = report.to_string();
        assert!(
            shown.contains("paths./users.post: operation-removed"),
            "{shown}"
        );
        assert!(
            shown.contains("verdict: pass (the MAJOR version went up"),
            "{shown}"
        );
    }
}

#[test]
fn compatible_changes_pass_without_a_bump() {
    let new = edited(|d| set(d, "/paths/~1users/get/summary", json!("Reworded.")));
    assert_eq!(check_release(&base(), &new), Ok(()));
    let report = diff(&base(), &new);
    assert_eq!(
        report.to_string(),
        "no breaking changes from 1.0.0 to 1.0.0\nverdict: pass"
    );
}

#[test]
fn the_report_names_both_versions() {
    let report = diff(&base(), &breaking_with_version("1.2.0"));
    assert_eq!(report.old_version.as_deref(), Some("1.0.0"));
    assert_eq!(report.new_version.as_deref(), Some("1.2.0"));
    assert!(
        report
            .to_string()
            .starts_with("1 breaking change from 1.0.0 to 1.2.0:\n")
    );
}
