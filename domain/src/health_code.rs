//! The health code (健康码) a person shows: its colour as read at a gate or a morning
//! check. Stored `green`, `yellow`, `red`.

use serde::{Deserialize, Serialize};

/// A health code's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeColour {
    /// No known risk.
    Green,
    /// Under observation.
    Yellow,
    /// Confirmed, suspected or close contact.
    Red,
}

impl CodeColour {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeColour::Green => "green",
            CodeColour::Yellow => "yellow",
            CodeColour::Red => "red",
        }
    }

    /// The colour with a stored name.
    pub fn from_name(name: &str) -> Option<CodeColour> {
        [CodeColour::Green, CodeColour::Yellow, CodeColour::Red]
            .into_iter()
            .find(|colour| colour.as_str() == name)
    }
}
