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

/// The value among `all` whose stored name (`name_of`) is `name`; otherwise the error
/// naming `column`.
pub fn by_name<T: Copy>(
    all: &[T],
    name_of: impl Fn(T) -> &'static str,
    column: &'static str,
    name: &str,
) -> Result<T, UnknownValue> {
    all.iter()
        .copied()
        .find(|value| name_of(*value) == name)
        .ok_or_else(|| UnknownValue {
            column,
            value: name.to_string(),
        })
}
