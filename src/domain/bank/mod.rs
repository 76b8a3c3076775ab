//! The question bank: items, the content taxonomy, exam blueprints, the bank file format and its
//! validation. Pure: reading the files is the caller's job.

pub mod flashcards;
pub mod format;
pub mod interchange;
pub mod lint;
pub mod stats;
pub mod taxonomy;
pub mod workflow;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

pub const KEYS: [char; 4] = ['A', 'B', 'C', 'D'];

/// What the bank browser and the API ask for; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub text: Option<String>,
    pub area: Option<String>,
    pub subarea: Option<String>,
    pub status: Option<String>,
    pub author: Option<String>,
    pub level: Option<String>,
    pub pillar: Option<String>,
    pub with_open_reports: bool,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Recall,
    Application,
    Analysis,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Recall, Level::Application, Level::Analysis];
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Recall => "recall",
            Level::Application => "application",
            Level::Analysis => "analysis",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

impl Difficulty {
    pub const ALL: [Difficulty; 3] = [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard];
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
        }
    }
    pub fn parse(s: &str) -> Option<Difficulty> {
        Difficulty::ALL.into_iter().find(|l| l.as_str() == s)
    }
    /// The IRT prior for an uncalibrated item (3PL): a = 1.0, c = 0.20, b from the rating.
    pub fn prior(self) -> (f64, f64, f64) {
        let b = match self {
            Difficulty::Easy => -1.0,
            Difficulty::Medium => 0.0,
            Difficulty::Hard => 1.0,
        };
        (1.0, b, 0.20)
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Pillar {
    Anatomy,
    Physiology,
    Kinesiology,
    Pathology,
    Techniques,
}

impl Pillar {
    pub const ALL: [Pillar; 5] = [
        Pillar::Anatomy,
        Pillar::Physiology,
        Pillar::Kinesiology,
        Pillar::Pathology,
        Pillar::Techniques,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Pillar::Anatomy => "anatomy",
            Pillar::Physiology => "physiology",
            Pillar::Kinesiology => "kinesiology",
            Pillar::Pathology => "pathology",
            Pillar::Techniques => "techniques",
        }
    }
    pub fn parse(s: &str) -> Option<Pillar> {
        Pillar::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// Where an item is in its life. Only `Approved` items reach students.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    InReview,
    Returned,
    Approved,
    Retired,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Draft,
        Status::InReview,
        Status::Returned,
        Status::Approved,
        Status::Retired,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in_review",
            Status::Returned => "returned",
            Status::Approved => "approved",
            Status::Retired => "retired",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|l| l.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::InReview => "In review",
            Status::Returned => "Returned with comments",
            Status::Approved => "Approved (live)",
            Status::Retired => "Retired",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The content of one item version: everything a student or reviewer sees. Two versions with the
/// same content have the same [`ItemContent::hash`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemContent {
    pub subarea: String,
    pub level: Level,
    pub difficulty: Difficulty,
    pub pillars: Vec<Pillar>,
    pub topics: Vec<String>,
    pub stem: String,
    pub options: [String; 4],
    /// Index of the key in `options` (0 = A).
    pub key: usize,
    pub rationales: [String; 4],
    pub reference: String,
    pub author: String,
    pub enemies: Vec<String>,
}

impl ItemContent {
    /// The area code: the part of the sub-area code before the dot ("2.D" → "2").
    pub fn area(&self) -> &str {
        self.subarea.split('.').next().unwrap_or("")
    }

    pub fn key_letter(&self) -> char {
        KEYS[self.key.min(3)]
    }

    /// SHA-256 over the canonical JSON of the content.
    pub fn hash(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(json.as_bytes()))
    }

    /// Lower-case text searched by the bank browser: stem, options, rationales, topics.
    pub fn search_text(&self) -> String {
        let mut s = String::with_capacity(2048);
        s.push_str(&self.stem);
        for o in self
            .options
            .iter()
            .chain(self.rationales.iter())
            .chain(self.topics.iter())
        {
            s.push('\n');
            s.push_str(o);
        }
        s.to_lowercase()
    }
}

/// A bank item as read from a bank file.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub status: Status,
    pub content: ItemContent,
}
