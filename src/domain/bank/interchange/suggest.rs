//! What the import preview suggests: the sub-area a question's category points to, and which
//! questions look like ones the bank (or the same file) already has.

use super::super::taxonomy::Taxonomy;
use std::collections::{HashMap, HashSet};

/// The sub-area a category names: a segment that is a sub-area code ("2.D"), starts with one
/// ("2.D Kinesiology"), or equals a sub-area's name (any case). Moodle paths such as
/// `$course$/top/Palpate/2.D` are read segment by segment from the end.
pub fn subarea_for(taxonomy: &Taxonomy, category: &str) -> Option<String> {
    for seg in category
        .rsplit('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let first = seg.split_whitespace().next().unwrap_or("");
        for code in [seg, first] {
            if taxonomy.subarea(code).is_some() {
                return Some(code.to_string());
            }
        }
        let lower = seg.to_lowercase();
        for a in &taxonomy.areas {
            if let Some(s) = a.subareas.iter().find(|s| s.name.to_lowercase() == lower) {
                return Some(s.code.clone());
            }
        }
    }
    None
}

/// The words of a stem, lower-cased, without punctuation and without words of one letter.
fn words(stem: &str) -> HashSet<String> {
    stem.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 1)
        .map(str::to_lowercase)
        .collect()
}

/// Two stems are near-identical when their word sets overlap by at least this (Jaccard index).
pub const NEAR: f64 = 0.85;

/// Finds, for each new stem, an earlier stem it nearly repeats. `known` are the bank's stems with
/// a label each (e.g. the item id); the new stems are also compared with the new stems before them
/// (labelled by `new_label`). Uses an inverted word index, so a file of thousands of questions
/// against a bank of thousands is checked in well under a second.
pub fn near_duplicates(
    known: &[(String, String)],
    new: &[String],
    new_label: impl Fn(usize) -> String,
) -> Vec<Option<String>> {
    let mut index = StemIndex::default();
    for (label, stem) in known {
        index.add(words(stem), label.clone());
    }
    let mut out = Vec::with_capacity(new.len());
    for (n, stem) in new.iter().enumerate() {
        let set = words(stem);
        out.push(index.best_match(&set).map(|i| index.labels[i].clone()));
        index.add(set, new_label(n));
    }
    out
}

/// Stems' word sets with an inverted index from word to stems.
#[derive(Default)]
struct StemIndex {
    sets: Vec<HashSet<String>>,
    labels: Vec<String>,
    by_word: HashMap<String, Vec<usize>>,
}

impl StemIndex {
    fn add(&mut self, set: HashSet<String>, label: String) {
        let i = self.sets.len();
        for w in &set {
            self.by_word.entry(w.clone()).or_default().push(i);
        }
        self.sets.push(set);
        self.labels.push(label);
    }

    /// The most similar stem at or above [`NEAR`] (the earliest among equals).
    fn best_match(&self, set: &HashSet<String>) -> Option<usize> {
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for w in set {
            for &i in self.by_word.get(w).map(Vec::as_slice).unwrap_or(&[]) {
                *shared.entry(i).or_default() += 1;
            }
        }
        shared
            .into_iter()
            .map(|(i, s)| {
                let union = set.len() + self.sets[i].len() - s;
                (i, s as f64 / union.max(1) as f64)
            })
            .filter(|(_, j)| *j >= NEAR)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxonomy() -> Taxonomy {
        Taxonomy::parse(
            "[[area]]\ncode = \"2\"\nname = \"Kinesiology\"\n[[area.subareas]]\ncode = \"2.D\"\nname = \"Muscle actions\"\n",
        )
        .unwrap()
    }

    #[test]
    fn categories_name_sub_areas_by_code_or_name() {
        let t = taxonomy();
        assert_eq!(
            subarea_for(&t, "$course$/top/Palpate/2.D").as_deref(),
            Some("2.D")
        );
        assert_eq!(
            subarea_for(&t, "2.D Muscle actions").as_deref(),
            Some("2.D")
        );
        assert_eq!(
            subarea_for(&t, "$course$/top/muscle ACTIONS").as_deref(),
            Some("2.D")
        );
        assert_eq!(subarea_for(&t, "$course$/top/Default for Course 1"), None);
    }

    #[test]
    fn near_identical_stems_are_found_in_the_bank_and_in_the_file() {
        let known = vec![(
            "2D-001".to_string(),
            "Which muscle is the prime mover of shoulder abduction?".to_string(),
        )];
        let new = vec![
            "Which muscle is THE prime mover of shoulder abduction".to_string(),
            "Which nerve innervates the deltoid muscle?".to_string(),
            "Which nerve innervates the deltoid muscle ?".to_string(),
            "Which muscle is the prime mover of hip flexion?".to_string(),
        ];
        let d = near_duplicates(&known, &new, |n| format!("new {n}"));
        assert_eq!(
            d,
            vec![Some("2D-001".into()), None, Some("new 1".into()), None]
        );
    }
}
