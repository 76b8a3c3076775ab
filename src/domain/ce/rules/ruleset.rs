//! The loaded rule files: every credential with its versions and former ids,
//! parsed once per process.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use time::Date;

use super::{Rule, RuleError, parse_rules};

/// The rule files under `rules/` at the crate root, embedded at build time.
#[derive(rust_embed::RustEmbed)]
#[folder = "rules/"]
#[include = "*.toml"]
struct Files;

/// Every rule, by id and version.
#[derive(Clone, Debug)]
pub struct RuleSet {
    /// All versions, sorted by id and then by `effective.from`.
    rules: Vec<Rule>,
    /// Former id → id.
    aliases: BTreeMap<String, String>,
}

impl RuleSet {
    /// Builds a set from parsed rules; an alias must not shadow an id or
    /// another alias.
    pub fn new(mut rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        rules.sort_by(|a, b| {
            a.id.cmp(&b.id)
                .then(a.effective.from.cmp(&b.effective.from))
        });
        let mut aliases = BTreeMap::new();
        for r in &rules {
            for a in &r.aliases {
                let clash = rules
                    .iter()
                    .find(|x| &x.id == a)
                    .map(|x| x.file.clone())
                    .or_else(|| aliases.get(a).filter(|id| *id != &r.id).cloned());
                if let Some(other) = clash {
                    return Err(RuleError::DuplicateId {
                        id: a.clone(),
                        first: other,
                        second: r.file.clone(),
                    });
                }
                aliases.insert(a.clone(), r.id.clone());
            }
        }
        let set = RuleSet { rules, aliases };
        for r in &set.rules {
            for (i, id) in r.satisfied_by.iter().enumerate() {
                let message = match set.resolve(id) {
                    None => {
                        format!("no rule has the id `{id}` (the rule it names must be loaded too)")
                    }
                    Some(other) if other == r.id => format!("`{id}` is this rule itself"),
                    Some(_) => continue,
                };
                return Err(RuleError::Field {
                    file: r.file.clone(),
                    field: format!("satisfied_by[{i}]"),
                    message,
                });
            }
        }
        Ok(set)
    }

    /// Parses files (name, text).
    pub fn parse<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<RuleSet, RuleError> {
        RuleSet::new(parse_rules(files)?)
    }

    /// Every version of every rule.
    pub fn all(&self) -> &[Rule] {
        &self.rules
    }

    /// The id a given id or former id stands for.
    pub fn resolve<'a>(&'a self, id: &'a str) -> Option<&'a str> {
        if self.rules.iter().any(|r| r.id == id) {
            Some(id)
        } else {
            self.aliases.get(id).map(String::as_str)
        }
    }

    /// Every version of one rule (oldest first).
    pub fn versions(&self, id: &str) -> Vec<&Rule> {
        let Some(id) = self.resolve(id) else {
            return vec![];
        };
        self.rules.iter().filter(|r| r.id == id).collect()
    }

    /// The newest version of a rule.
    pub fn current(&self, id: &str) -> Option<&Rule> {
        self.versions(id).into_iter().last()
    }

    /// The version written for a cycle ending on `end` (when none is, the
    /// nearest: the oldest for earlier periods, the newest otherwise; the
    /// report then warns that the rules in force may differ).
    pub fn for_cycle_end(&self, id: &str, end: Date) -> Option<&Rule> {
        let versions = self.versions(id);
        let written_for = versions.iter().rev().find(|r| r.effective.contains(end));
        // Before the oldest version: the oldest is closest; otherwise the newest.
        let before_all = versions
            .first()
            .and_then(|r| r.effective.from)
            .is_some_and(|from| end < from);
        written_for
            .or(if before_all {
                versions.first()
            } else {
                versions.last()
            })
            .copied()
    }

    /// The newest version of every rule, in id order.
    pub fn current_rules(&self) -> Vec<&Rule> {
        let mut out: Vec<&Rule> = Vec::new();
        for r in &self.rules {
            match out.last_mut() {
                Some(last) if last.id == r.id => *last = r,
                _ => out.push(r),
            }
        }
        out
    }

    /// Ids (and former ids) for error messages.
    pub fn known_ids(&self) -> String {
        let mut ids: Vec<&str> = self.current_rules().iter().map(|r| r.id.as_str()).collect();
        ids.extend(self.aliases.keys().map(String::as_str));
        ids.join(", ")
    }
}

/// The built-in rule set, parsed on first use and kept for the process.
pub fn builtin() -> Result<&'static RuleSet, RuleError> {
    static SET: OnceLock<Result<RuleSet, RuleError>> = OnceLock::new();
    SET.get_or_init(|| {
        let files: Vec<(String, String)> = Files::iter()
            .filter_map(|name| {
                let f = Files::get(&name)?;
                Some((
                    name.to_string(),
                    String::from_utf8_lossy(&f.data).into_owned(),
                ))
            })
            .collect();
        RuleSet::parse(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    })
    .as_ref()
    .map_err(Clone::clone)
}
