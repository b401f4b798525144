//! The breaking-change rules: a stable id for each and why it breaks clients.

use std::fmt;

/// A kind of change that breaks clients written against the old document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakingRule {
    PathRemoved,
    OperationRemoved,
    SecurityChanged,
    ParameterBecameRequired,
    ParameterAddedRequired,
    RequestBodyBecameRequired,
    RequestMediaTypeRemoved,
    RequestPropertyBecameRequired,
    RequestPropertyAddedRequired,
    RequestPropertyRemoved,
    RequestTypeNarrowed,
    RequestEnumValueRemoved,
    RequestPatternChanged,
    RequestLengthTightened,
    RequestRangeTightened,
    ResponseStatusRemoved,
    ResponseMediaTypeRemoved,
    ResponseHeaderRemoved,
    ResponsePropertyRemoved,
    ResponsePropertyBecameOptional,
    ResponsePropertyBecameNullable,
    ResponseTypeWidened,
    ResponseEnumValueAdded,
    ResponsePatternChanged,
    ResponseLengthLoosened,
    ResponseRangeLoosened,
}

impl BreakingRule {
    /// Every rule, in the order the README's table lists them.
    pub const ALL: [BreakingRule; 26] = [
        Self::PathRemoved,
        Self::OperationRemoved,
        Self::SecurityChanged,
        Self::ParameterBecameRequired,
        Self::ParameterAddedRequired,
        Self::RequestBodyBecameRequired,
        Self::RequestMediaTypeRemoved,
        Self::RequestPropertyBecameRequired,
        Self::RequestPropertyAddedRequired,
        Self::RequestPropertyRemoved,
        Self::RequestTypeNarrowed,
        Self::RequestEnumValueRemoved,
        Self::RequestPatternChanged,
        Self::RequestLengthTightened,
        Self::RequestRangeTightened,
        Self::ResponseStatusRemoved,
        Self::ResponseMediaTypeRemoved,
        Self::ResponseHeaderRemoved,
        Self::ResponsePropertyRemoved,
        Self::ResponsePropertyBecameOptional,
        Self::ResponsePropertyBecameNullable,
        Self::ResponseTypeWidened,
        Self::ResponseEnumValueAdded,
        Self::ResponsePatternChanged,
        Self::ResponseLengthLoosened,
        Self::ResponseRangeLoosened,
    ];

    /// The rule's id, as reports and the README write it.
    pub fn id(self) -> &'static str {
        match self {
            Self::PathRemoved => "path-removed",
            Self::OperationRemoved => "operation-removed",
            Self::SecurityChanged => "security-changed",
            Self::ParameterBecameRequired => "parameter-became-required",
            Self::ParameterAddedRequired => "parameter-added-required",
            Self::RequestBodyBecameRequired => "request-body-became-required",
            Self::RequestMediaTypeRemoved => "request-media-type-removed",
            Self::RequestPropertyBecameRequired => "request-property-became-required",
            Self::RequestPropertyAddedRequired => "request-property-added-required",
            Self::RequestPropertyRemoved => "request-property-removed",
            Self::RequestTypeNarrowed => "request-type-narrowed",
            Self::RequestEnumValueRemoved => "request-enum-value-removed",
            Self::RequestPatternChanged => "request-pattern-changed",
            Self::RequestLengthTightened => "request-length-tightened",
            Self::RequestRangeTightened => "request-range-tightened",
            Self::ResponseStatusRemoved => "response-status-removed",
            Self::ResponseMediaTypeRemoved => "response-media-type-removed",
            Self::ResponseHeaderRemoved => "response-header-removed",
            Self::ResponsePropertyRemoved => "response-property-removed",
            Self::ResponsePropertyBecameOptional => "response-property-became-optional",
            Self::ResponsePropertyBecameNullable => "response-property-became-nullable",
            Self::ResponseTypeWidened => "response-type-widened",
            Self::ResponseEnumValueAdded => "response-enum-value-added",
            Self::ResponsePatternChanged => "response-pattern-changed",
            Self::ResponseLengthLoosened => "response-length-loosened",
            Self::ResponseRangeLoosened => "response-range-loosened",
        }
    }

    /// Why a change of this kind breaks clients of the old document.
    pub fn why(self) -> &'static str {
        match self {
            Self::PathRemoved | Self::OperationRemoved => "clients that call it now get 404 or 405",
            Self::SecurityChanged => {
                "clients that send the credentials the old spec asked for are refused (401/403)"
            }
            Self::ParameterBecameRequired | Self::RequestPropertyBecameRequired => {
                "clients that leave it out are refused"
            }
            Self::ParameterAddedRequired | Self::RequestPropertyAddedRequired => {
                "existing clients do not send it and are refused"
            }
            Self::RequestBodyBecameRequired => "clients that send no body are refused",
            Self::RequestMediaTypeRemoved => "clients that send this content type get 415",
            Self::RequestPropertyRemoved => {
                "unknown properties are denied, so clients that still send it are refused"
            }
            Self::RequestTypeNarrowed
            | Self::RequestEnumValueRemoved
            | Self::RequestPatternChanged
            | Self::RequestLengthTightened
            | Self::RequestRangeTightened => {
                "values that clients could send before are now refused"
            }
            Self::ResponseStatusRemoved => {
                "clients that handle this status meet an undocumented answer instead"
            }
            Self::ResponseMediaTypeRemoved => {
                "clients that accept or parse only this content type can no longer read the answer"
            }
            Self::ResponseHeaderRemoved | Self::ResponsePropertyRemoved => {
                "clients that read it find nothing"
            }
            Self::ResponsePropertyBecameOptional => {
                "clients that read it unconditionally fail when it is absent"
            }
            Self::ResponsePropertyBecameNullable => {
                "clients that do not expect null fail to read it"
            }
            Self::ResponseTypeWidened
            | Self::ResponseEnumValueAdded
            | Self::ResponsePatternChanged
            | Self::ResponseLengthLoosened
            | Self::ResponseRangeLoosened => {
                "clients written for the old values meet values they do not expect"
            }
        }
    }
}

impl fmt::Display for BreakingRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
