//! Stored names: every enum value a table holds has one documented name, and a name
//! that is none of them is this error (a row this version never wrote), never a default.

/// A stored value that is not what its column holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{column}: {value:?} is not a stored value")]
pub struct UnknownValue {
    /// The column.
    pub column: &'static str,
    /// What it held.
    pub value: String,
}
