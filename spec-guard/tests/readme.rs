//! The README's rule tables name every rule the code has.

use spec_guard::{BreakingRule, LintRule};

#[test]
fn the_readme_lists_every_rule() {
    let readme = include_str!("../README.md");
    let ids = BreakingRule::ALL
        .iter()
        .map(|r| r.id())
        .chain(LintRule::ALL.iter().map(|r| r.id()));
    for id in ids {
        assert!(
            readme.contains(&format!("| `{id}` |")),
            "README.md has no table row for `{id}`"
        );
    }
}
