//! The content taxonomy (areas and sub-areas) and exam blueprints, both data files in the bank.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SubArea {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Area {
    pub code: String,
    pub name: String,
    pub subareas: Vec<SubArea>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Taxonomy {
    #[serde(rename = "area")]
    pub areas: Vec<Area>,
}

impl Taxonomy {
    pub fn parse(text: &str) -> Result<Taxonomy, String> {
        let t: Taxonomy = toml::from_str(text).map_err(|e| e.to_string())?;
        if t.areas.is_empty() {
            return Err("no [[area]] defined".into());
        }
        for a in &t.areas {
            for s in &a.subareas {
                if s.code.split('.').next() != Some(a.code.as_str()) {
                    return Err(format!(
                        "sub-area {} must start with its area code {}.",
                        s.code, a.code
                    ));
                }
            }
        }
        Ok(t)
    }

    pub fn area(&self, code: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.code == code)
    }

    pub fn subarea(&self, code: &str) -> Option<(&Area, &SubArea)> {
        self.areas
            .iter()
            .find_map(|a| a.subareas.iter().find(|s| s.code == code).map(|s| (a, s)))
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Blueprint {
    pub id: String,
    pub name: String,
    pub scored_items: u32,
    pub minutes: u32,
    /// False when some weights are not confirmed by a published source.
    pub confirmed: bool,
    pub source: String,
    /// Fraction of scored items per area code.
    pub weights: BTreeMap<String, f64>,
    #[serde(default)]
    pub unconfirmed_areas: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct BlueprintFile {
    blueprint: Vec<Blueprint>,
}

/// Parses `blueprints.toml` and checks every blueprint's weights sum to 1 over known areas.
pub fn parse_blueprints(text: &str, taxonomy: &Taxonomy) -> Result<Vec<Blueprint>, String> {
    let f: BlueprintFile = toml::from_str(text).map_err(|e| e.to_string())?;
    for b in &f.blueprint {
        let sum: f64 = b.weights.values().sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(format!(
                "blueprint {}: weights sum to {sum:.4}, not 1",
                b.id
            ));
        }
        for code in b.weights.keys() {
            if taxonomy.area(code).is_none() {
                return Err(format!("blueprint {}: unknown area {code}", b.id));
            }
        }
    }
    Ok(f.blueprint)
}

impl Blueprint {
    /// Items per area for a form of `n` items: largest-remainder rounding of weight × n.
    pub fn quotas(&self, n: u32) -> BTreeMap<String, u32> {
        let mut out: BTreeMap<String, u32> = BTreeMap::new();
        let mut rema: Vec<(String, f64)> = vec![];
        let mut used = 0;
        for (code, w) in &self.weights {
            let exact = w * n as f64;
            let floor = exact.floor() as u32;
            used += floor;
            out.insert(code.clone(), floor);
            rema.push((code.clone(), exact - floor as f64));
        }
        rema.sort_by(|a, b| {
            b.1.partial_cmp(&a.1)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.0.cmp(&b.0))
        });
        for (code, _) in rema.into_iter().take(n.saturating_sub(used) as usize) {
            if let Some(v) = out.get_mut(&code) {
                *v += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAX: &str = include_str!("../../../question_bank/taxonomy.toml");
    const BP: &str = include_str!("../../../question_bank/blueprints.toml");

    #[test]
    fn shipped_taxonomy_and_blueprints_load() {
        let t = Taxonomy::parse(TAX).unwrap();
        assert_eq!(t.areas.len(), 7);
        assert!(t.subarea("2.D").is_some());
        let bps = parse_blueprints(BP, &t).unwrap();
        let mblex = bps.iter().find(|b| b.id == "mblex").unwrap();
        assert_eq!((mblex.scored_items, mblex.minutes), (100, 110));
        let q = mblex.quotas(100);
        let got: Vec<u32> = ["1", "2", "3", "4", "5", "6", "7"]
            .iter()
            .map(|c| q[*c])
            .collect();
        assert_eq!(got, vec![11, 12, 14, 15, 17, 16, 15]);
        let ncbtmb = bps.iter().find(|b| b.id == "ncbtmb").unwrap();
        assert_eq!((ncbtmb.scored_items, ncbtmb.minutes), (140, 140));
        assert!(!ncbtmb.confirmed);
        assert_eq!(ncbtmb.quotas(140).values().sum::<u32>(), 140);
    }
}
