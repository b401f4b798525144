//! The lint rules: a stable id for each and what it asks of the spec.

use std::fmt;

/// A house rule for the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LintRule {
    OperationIdMissing,
    OperationIdDuplicate,
    SummaryMissing,
    TagCount,
    TagUndeclared,
    DeprecationDates,
    ClientErrorUndocumented,
    ErrorMediaType,
    PropertyDescriptionMissing,
    ExampleInvalid,
    ComponentUnused,
    RefUnresolved,
}

impl LintRule {
    /// Every rule, in the order the README's table lists them.
    pub const ALL: [LintRule; 12] = [
        Self::OperationIdMissing,
        Self::OperationIdDuplicate,
        Self::SummaryMissing,
        Self::TagCount,
        Self::TagUndeclared,
        Self::DeprecationDates,
        Self::ClientErrorUndocumented,
        Self::ErrorMediaType,
        Self::PropertyDescriptionMissing,
        Self::ExampleInvalid,
        Self::ComponentUnused,
        Self::RefUnresolved,
    ];

    /// The rule's id, as reports and the README write it.
    pub fn id(self) -> &'static str {
        match self {
            Self::OperationIdMissing => "operation-id-missing",
            Self::OperationIdDuplicate => "operation-id-duplicate",
            Self::SummaryMissing => "summary-missing",
            Self::TagCount => "tag-count",
            Self::TagUndeclared => "tag-undeclared",
            Self::DeprecationDates => "deprecation-dates",
            Self::ClientErrorUndocumented => "client-error-undocumented",
            Self::ErrorMediaType => "error-media-type",
            Self::PropertyDescriptionMissing => "property-description-missing",
            Self::ExampleInvalid => "example-invalid",
            Self::ComponentUnused => "component-unused",
            Self::RefUnresolved => "ref-unresolved",
        }
    }
}

impl fmt::Display for LintRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
