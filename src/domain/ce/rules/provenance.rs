//! Where a rule's facts come from: the texts read (`[[source]]`), the
//! sentences quoted from them for each fact (`[[cite]]`), and the facts no
//! primary text settles (`to_verify`). Loading checks that every fact the
//! rule uses is either cited or listed as unverified.

use serde::Deserialize;
use time::Date;

use super::{Confidence, RuleError, RuleMode};

/// A text a rule was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Local id, referenced by citations.
    pub id: String,
    /// Citation as the jurisdiction gives it ("16.7.11.9 NMAC").
    pub citation: String,
    /// Section heading.
    pub title: String,
    /// Where it was read.
    pub url: String,
    /// When it was read.
    pub read_on: Date,
    /// The board's own regulation, statute or page (not an association,
    /// school or vendor).
    pub primary: bool,
}

/// A quoted sentence that establishes one fact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cite {
    /// Fact key (`total`, `deadline`, `min:ethics`, …).
    pub fact: String,
    /// Index into the rule's sources.
    pub source: usize,
    /// The sentence(s), as the source gives them.
    pub quote: String,
}

/// A fact that no primary text settles (shown to users as unverified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unverified {
    /// The fact it concerns, if it concerns one.
    pub fact: Option<String>,
    /// What is uncertain, in plain words.
    pub note: String,
}

/// How well a rule's facts are sourced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Coverage {
    /// Facts the rule uses.
    pub facts: usize,
    /// Facts quoted from a primary source.
    pub primary: usize,
    /// Facts quoted only from secondary sources.
    pub secondary_only: usize,
    /// Facts neither quoted from a primary source nor from a secondary one
    /// (listed in `to_verify`), plus free-text `to_verify` entries.
    pub unverified: usize,
}

/// Where one fact stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactSources<'a> {
    /// Quotes with their sources (primary first).
    pub cites: Vec<(&'a Cite, &'a Source)>,
    /// `to_verify` notes about this fact.
    pub unverified: Vec<&'a str>,
}

impl FactSources<'_> {
    /// Is at least one quote from a primary source?
    pub fn primary(&self) -> bool {
        self.cites.iter().any(|(_, s)| s.primary)
    }
}

/// Sources, citations and open questions of one rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provenance {
    /// Texts read.
    pub sources: Vec<Source>,
    /// Quotes.
    pub cites: Vec<Cite>,
    /// Open questions.
    pub to_verify: Vec<Unverified>,
}

impl Provenance {
    /// Quotes and open questions for one fact.
    pub fn fact(&self, key: &str) -> FactSources<'_> {
        let mut cites: Vec<(&Cite, &Source)> = self
            .cites
            .iter()
            .filter(|c| c.fact == key)
            .filter_map(|c| self.sources.get(c.source).map(|s| (c, s)))
            .collect();
        cites.sort_by_key(|(_, s)| !s.primary);
        FactSources {
            cites,
            unverified: self
                .to_verify
                .iter()
                .filter(|u| u.fact.as_deref() == Some(key))
                .map(|u| u.note.as_str())
                .collect(),
        }
    }

    /// Counts over the given fact keys.
    pub fn coverage(&self, facts: &[String]) -> Coverage {
        let mut c = Coverage {
            facts: facts.len(),
            ..Coverage::default()
        };
        for f in facts {
            let s = self.fact(f);
            if s.primary() {
                c.primary += 1;
            } else if !s.cites.is_empty() {
                c.secondary_only += 1;
            } else {
                c.unverified += 1;
            }
        }
        c.unverified += self.to_verify.iter().filter(|u| u.fact.is_none()).count();
        c
    }

    /// The most recent date a source was read.
    pub fn last_read(&self) -> Option<Date> {
        self.sources.iter().map(|s| s.read_on).max()
    }
}

// ---------------------------------------------------------------------------
// Raw shapes and the loading step

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    id: String,
    citation: String,
    #[serde(default)]
    title: Option<String>,
    url: String,
    read_on: String,
    primary: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCite {
    fact: String,
    source: String,
    quote: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawUnverified {
    Text(String),
    Fact { fact: String, note: String },
}

fn is_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > 10
        && !s.contains(char::is_whitespace)
}

/// Facts a rule always has (with a default value when the file says nothing):
/// they may be cited or questioned even when the rule keeps the default.
pub const OPTIONAL_FACTS: &[&str] = &[
    "deadline",
    "total",
    "unit",
    "first_cycle",
    "carry_over",
    "accepted_approvals",
    "excluded_topics",
    "no_duplicate",
    "late_renewal",
];

/// The facts of a rule that count for coverage: the `required` ones plus any
/// optional fact the file cites or questions.
pub fn counted_facts(required: &[String], p: &Provenance) -> Vec<String> {
    let mut out = required.to_vec();
    let mentioned = p
        .cites
        .iter()
        .map(|c| c.fact.as_str())
        .chain(p.to_verify.iter().filter_map(|u| u.fact.as_deref()));
    for f in mentioned {
        if !out.iter().any(|x| x == f) {
            out.push(f.to_string());
        }
    }
    out
}

/// Builds the provenance of a rule and checks it against the facts the rule
/// uses (`facts`): every fact cited or listed in `to_verify`, every cite and
/// `to_verify` entry about a fact the rule has, confidence H only when no
/// fact rests on secondary sources alone.
pub(super) fn load(
    c: &super::Ctx<'_>,
    sources: &[RawSource],
    cites: &[RawCite],
    to_verify: &[RawUnverified],
    facts: &[String],
    confidence: Confidence,
    mode: RuleMode,
) -> Result<Provenance, RuleError> {
    let sources = load_sources(c, sources)?;
    let cites = load_cites(c, cites, &sources, facts)?;
    let to_verify = load_to_verify(c, to_verify, facts)?;
    let out = Provenance {
        sources,
        cites,
        to_verify,
    };
    check_facts(c, &out, facts, confidence)?;
    let _ = mode;
    Ok(out)
}

/// Validates the `[[source]]` list: at least one, unique ids, a citation and an http(s) URL each.
fn load_sources(c: &super::Ctx<'_>, sources: &[RawSource]) -> Result<Vec<Source>, RuleError> {
    if sources.is_empty() {
        return Err(c.err("source", "at least one [[source]] is required"));
    }
    let mut out: Vec<Source> = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        let field = format!("source[{i}]");
        let id = s.id.trim();
        if id.is_empty() || out.iter().any(|x| x.id == id) {
            return Err(c.err(
                format!("{field}.id"),
                format!("`{id}` is empty or used twice"),
            ));
        }
        if s.citation.trim().is_empty() {
            return Err(c.err(format!("{field}.citation"), "must not be empty"));
        }
        if !is_url(&s.url) {
            return Err(c.err(
                format!("{field}.url"),
                format!("`{}` is not an http(s) URL", s.url),
            ));
        }
        out.push(Source {
            id: id.to_string(),
            citation: s.citation.trim().to_string(),
            title: s.title.clone().unwrap_or_default().trim().to_string(),
            url: s.url.clone(),
            read_on: c.date(&format!("{field}.read_on"), &s.read_on)?,
            primary: s.primary,
        });
    }
    Ok(out)
}

/// Rejects a fact name that is neither one of the rule's facts nor an optional one.
fn check_known_fact(
    c: &super::Ctx<'_>,
    field: String,
    fact: &str,
    facts: &[String],
) -> Result<(), RuleError> {
    if facts.iter().any(|x| x == fact) || OPTIONAL_FACTS.contains(&fact) {
        return Ok(());
    }
    Err(c.err(
        field,
        format!(
            "`{fact}` is not a fact of this rule (facts: {})",
            facts.join(", ")
        ),
    ))
}

/// Validates the `[[cite]]` list: a known fact, an existing source and a real quote each.
fn load_cites(
    c: &super::Ctx<'_>,
    cites: &[RawCite],
    sources: &[Source],
    facts: &[String],
) -> Result<Vec<Cite>, RuleError> {
    let mut out = Vec::new();
    for (i, k) in cites.iter().enumerate() {
        let field = format!("cite[{i}]");
        check_known_fact(c, format!("{field}.fact"), &k.fact, facts)?;
        let source = sources
            .iter()
            .position(|s| s.id == k.source)
            .ok_or_else(|| {
                c.err(
                    format!("{field}.source"),
                    format!("no [[source]] with id `{}`", k.source),
                )
            })?;
        if k.quote.trim().chars().count() < 12 {
            return Err(c.err(
                format!("{field}.quote"),
                "quote the sentence(s) that establish the fact",
            ));
        }
        out.push(Cite {
            fact: k.fact.clone(),
            source,
            quote: k.quote.trim().to_string(),
        });
    }
    Ok(out)
}

/// Validates the `to_verify` list: a known fact when one is named, and a note in plain words.
fn load_to_verify(
    c: &super::Ctx<'_>,
    to_verify: &[RawUnverified],
    facts: &[String],
) -> Result<Vec<Unverified>, RuleError> {
    let mut out = Vec::new();
    for (i, u) in to_verify.iter().enumerate() {
        let (fact, note) = match u {
            RawUnverified::Text(t) => (None, t.clone()),
            RawUnverified::Fact { fact, note } => {
                check_known_fact(c, format!("to_verify[{i}].fact"), fact, facts)?;
                (Some(fact.clone()), note.clone())
            }
        };
        if note.trim().is_empty() {
            return Err(c.err(format!("to_verify[{i}]"), "say what is uncertain"));
        }
        if let Some(code) = super::internal_code(&note) {
            return Err(c.err(
                format!("to_verify[{i}]"),
                format!("`{code}` is an internal code; people read this text, say it in words"),
            ));
        }
        out.push(Unverified {
            fact,
            note: note.trim().to_string(),
        });
    }
    Ok(out)
}

/// Every fact is cited or listed as unverified, and confidence H has a primary source for each.
fn check_facts(
    c: &super::Ctx<'_>,
    p: &Provenance,
    facts: &[String],
    confidence: Confidence,
) -> Result<(), RuleError> {
    for f in facts {
        let s = p.fact(f);
        if s.cites.is_empty() && s.unverified.is_empty() {
            return Err(c.err(
                "cite",
                format!("fact `{f}` is neither cited nor listed in `to_verify`"),
            ));
        }
        if confidence == Confidence::High && !s.primary() && s.unverified.is_empty() {
            return Err(c.err(
                "confidence",
                format!("H, but fact `{f}` is quoted only from secondary sources"),
            ));
        }
    }
    Ok(())
}
