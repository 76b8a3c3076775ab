//! Content blueprints: target share of each content area (and optionally of sub-areas inside an
//! area), and exact per-area quotas for fixed-length forms.

use serde::{Deserialize, Serialize};

use super::error::IrtError;

/// Target weight of one sub-area inside its area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubareaWeight {
    /// Sub-area name as used in the item pool.
    pub name: String,
    /// Relative weight inside the area (normalised over the area's sub-areas).
    pub weight: f64,
}

/// Target weight of one content area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaWeight {
    /// Area name as used in the item pool.
    pub name: String,
    /// Relative weight (normalised over all areas; percentages are fine).
    pub weight: f64,
    /// Optional sub-area weights; when present, sub-areas are balanced with the same rule
    /// whenever at least [`SUBAREA_MIN_ELIGIBLE`] of their items are eligible.
    #[serde(default)]
    pub subareas: Vec<SubareaWeight>,
}

/// Sub-area balancing applies only to sub-areas with at least this many eligible items.
pub const SUBAREA_MIN_ELIGIBLE: usize = 3;

/// A content blueprint: the areas and their target shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blueprint {
    /// Areas in a fixed order; selection state is indexed by this order.
    pub areas: Vec<AreaWeight>,
}

impl Blueprint {
    /// A blueprint from `(area, weight)` pairs without sub-areas.
    pub fn from_weights<S: Into<String>>(
        areas: impl IntoIterator<Item = (S, f64)>,
    ) -> Result<Self, IrtError> {
        let bp = Blueprint {
            areas: areas
                .into_iter()
                .map(|(name, weight)| AreaWeight {
                    name: name.into(),
                    weight,
                    subareas: Vec::new(),
                })
                .collect(),
        };
        bp.validate()?;
        Ok(bp)
    }

    /// Weights must be finite and ≥ 0 with a positive sum; names must be unique.
    pub fn validate(&self) -> Result<(), IrtError> {
        if self.areas.is_empty() {
            return Err(IrtError::InvalidConfig("blueprint has no areas".into()));
        }
        let mut names: Vec<&str> = self.areas.iter().map(|a| a.name.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(IrtError::InvalidConfig(
                "blueprint area names must be unique".into(),
            ));
        }
        check_weights(self.areas.iter().map(|a| a.weight), "area")?;
        for a in &self.areas {
            if !a.subareas.is_empty() {
                check_weights(
                    a.subareas.iter().map(|s| s.weight),
                    &format!("sub-area of {}", a.name),
                )?;
            }
        }
        Ok(())
    }

    /// Area weights normalised to sum to 1.
    pub fn normalised_weights(&self) -> Vec<f64> {
        normalise(self.areas.iter().map(|a| a.weight))
    }

    /// Sub-area weights of area `i`, normalised within the area (empty if none configured).
    pub fn normalised_subarea_weights(&self, i: usize) -> Vec<f64> {
        self.areas
            .get(i)
            .map(|a| normalise(a.subareas.iter().map(|s| s.weight)))
            .unwrap_or_default()
    }

    /// Position of an area by name.
    pub fn area_index(&self, name: &str) -> Option<usize> {
        self.areas.iter().position(|a| a.name == name)
    }

    /// Exact per-area item counts for a form of `length` items: largest-remainder (Hamilton)
    /// rounding of w_d · length. Ties in the remainder go to the earlier area.
    pub fn quotas(&self, length: u32) -> Vec<u32> {
        largest_remainder(&self.normalised_weights(), length)
    }
}

fn check_weights(ws: impl Iterator<Item = f64>, what: &str) -> Result<(), IrtError> {
    let mut sum = 0.0;
    for w in ws {
        if !(w.is_finite() && w >= 0.0) {
            return Err(IrtError::InvalidConfig(format!(
                "{what} weight {w} must be finite and >= 0"
            )));
        }
        sum += w;
    }
    if sum <= 0.0 {
        return Err(IrtError::InvalidConfig(format!(
            "{what} weights must have a positive sum"
        )));
    }
    Ok(())
}

fn normalise(ws: impl Iterator<Item = f64> + Clone) -> Vec<f64> {
    let sum: f64 = ws.clone().sum();
    if sum > 0.0 {
        ws.map(|w| w / sum).collect()
    } else {
        ws.map(|_| 0.0).collect()
    }
}

/// Largest-remainder rounding of `weights[i] · total` (weights sum to 1) to integers summing to `total`.
pub fn largest_remainder(weights: &[f64], total: u32) -> Vec<u32> {
    if weights.is_empty() {
        return Vec::new();
    }
    let raw: Vec<f64> = weights.iter().map(|w| w * f64::from(total)).collect();
    let mut q: Vec<u32> = raw.iter().map(|r| r.floor().max(0.0) as u32).collect();
    let assigned: u32 = q.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Remainders compared on a 1e-9 grid so that 0.15·100 = 15.000000000000002 is not a "remainder".
    let rem = |i: usize| ((raw[i] - raw[i].floor()) * 1e9).round() as i64;
    order.sort_by(|&i, &j| rem(j).cmp(&rem(i)).then(i.cmp(&j)));
    let missing = total.saturating_sub(assigned) as usize;
    for &i in order.iter().cycle().take(missing) {
        q[i] += 1;
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mblex_quotas() {
        let bp = Blueprint::from_weights([
            ("A1", 11.0),
            ("A2", 12.0),
            ("A3", 14.0),
            ("A4", 15.0),
            ("A5", 17.0),
            ("A6", 16.0),
            ("A7", 15.0),
        ])
        .unwrap();
        assert_eq!(bp.quotas(100), vec![11, 12, 14, 15, 17, 16, 15]);
        assert_eq!(bp.quotas(25).iter().sum::<u32>(), 25);
    }

    #[test]
    fn quotas_sum_to_length() {
        let bp = Blueprint::from_weights([("a", 1.0), ("b", 1.0), ("c", 1.0)]).unwrap();
        assert_eq!(bp.quotas(10), vec![4, 3, 3]);
        assert_eq!(bp.quotas(0), vec![0, 0, 0]);
    }

    #[test]
    fn bad_blueprints() {
        assert!(Blueprint::from_weights([("a", -1.0)]).is_err());
        assert!(Blueprint::from_weights([("a", 0.0)]).is_err());
        assert!(Blueprint::from_weights([("a", 1.0), ("a", 1.0)]).is_err());
        assert!(Blueprint::from_weights(Vec::<(String, f64)>::new()).is_err());
    }
}
