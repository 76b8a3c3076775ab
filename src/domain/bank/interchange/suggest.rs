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
    ///
    /// Only stems holding one of this stem's rarest words are compared: two stems at Jaccard
    /// index J ≥ [`NEAR`] differ in at most (1 − J)/J of the first one's words, so among its
    /// ⌊0.18·n⌋ + 1 rarest words at least one is in the other stem. The search stays exact and
    /// skips the long lists of common words ("which", "muscle").
    fn best_match(&self, set: &HashSet<String>) -> Option<usize> {
        let mut by_rarity: Vec<(&String, usize)> = set
            .iter()
            .map(|w| (w, self.by_word.get(w).map_or(0, Vec::len)))
            .collect();
        by_rarity.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)));
        let k = (set.len() as f64 * (1.0 - NEAR) / NEAR).floor() as usize + 1;
        let mut candidates: Vec<usize> = by_rarity
            .iter()
            .take(k)
            .flat_map(|(w, _)| self.by_word.get(*w).map(Vec::as_slice).unwrap_or(&[]))
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let (lo, hi) = (set.len() as f64 * NEAR, set.len() as f64 / NEAR);
        candidates
            .into_iter()
            .filter(|&i| (lo..=hi).contains(&(self.sets[i].len() as f64)))
            .map(|i| {
                let other = &self.sets[i];
                let shared = set.iter().filter(|w| other.contains(*w)).count();
                let union = set.len() + other.len() - shared;
                (i, shared as f64 / union.max(1) as f64)
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

    /// The rare-word search finds exactly what comparing every pair finds.
    fn brute_force(known: &[(String, String)], new: &[String]) -> Vec<Option<String>> {
        let mut all: Vec<(String, HashSet<String>)> =
            known.iter().map(|(l, s)| (l.clone(), words(s))).collect();
        let mut out = vec![];
        for (n, stem) in new.iter().enumerate() {
            let set = words(stem);
            let best = all
                .iter()
                .enumerate()
                .filter(|_| !set.is_empty())
                .map(|(i, (_, other))| {
                    let shared = set.intersection(other).count();
                    (
                        i,
                        shared as f64 / (set.len() + other.len() - shared).max(1) as f64,
                    )
                })
                .filter(|(_, j)| *j >= NEAR)
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(i, _)| all[i].0.clone());
            out.push(best);
            all.push((format!("new {n}"), set));
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn the_rare_word_search_is_exact(
            known in proptest::collection::vec(proptest::collection::vec(0usize..14, 1..12), 0..25),
            new in proptest::collection::vec(proptest::collection::vec(0usize..14, 1..12), 1..25),
        ) {
            const VOCAB: [&str; 14] = ["which", "muscle", "nerve", "flexes", "hip", "knee", "the",
                "arm", "deltoid", "radial", "ulnar", "of", "abducts", "rotates"];
            let text = |ws: &Vec<usize>| ws.iter().map(|w| VOCAB[*w]).collect::<Vec<_>>().join(" ");
            let known: Vec<(String, String)> =
                known.iter().enumerate().map(|(i, ws)| (format!("K{i}"), text(ws))).collect();
            let new: Vec<String> = new.iter().map(text).collect();
            proptest::prop_assert_eq!(
                near_duplicates(&known, &new, |n| format!("new {n}")),
                brute_force(&known, &new)
            );
        }
    }
}
