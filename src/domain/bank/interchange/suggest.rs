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
        let set = index.intern(words(stem));
        index.add(set, label.clone());
    }
    let mut out = Vec::with_capacity(new.len());
    for (n, stem) in new.iter().enumerate() {
        let set = index.intern(words(stem));
        out.push(index.best_match(&set).map(|i| index.labels[i].clone()));
        index.add(set, new_label(n));
    }
    out
}

/// Stems' word sets (as sorted word numbers) with an inverted index from word to stems.
#[derive(Default)]
struct StemIndex {
    numbers: HashMap<String, u32>,
    sets: Vec<Vec<u32>>,
    labels: Vec<String>,
    by_word: Vec<Vec<usize>>,
}

impl StemIndex {
    /// A word set as sorted word numbers (new words get the next number).
    fn intern(&mut self, set: HashSet<String>) -> Vec<u32> {
        let mut out: Vec<u32> = set
            .into_iter()
            .map(|w| {
                let next = self.numbers.len() as u32;
                *self.numbers.entry(w).or_insert(next)
            })
            .collect();
        out.sort_unstable();
        out
    }

    fn add(&mut self, set: Vec<u32>, label: String) {
        let i = self.sets.len();
        for &w in &set {
            if self.by_word.len() <= w as usize {
                self.by_word.resize(w as usize + 1, vec![]);
            }
            self.by_word[w as usize].push(i);
        }
        self.sets.push(set);
        self.labels.push(label);
    }

    fn postings(&self, w: u32) -> &[usize] {
        self.by_word
            .get(w as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The most similar stem at or above [`NEAR`] (the earliest among equals).
    ///
    /// Only stems holding one of this stem's rarest words are compared: two stems at Jaccard
    /// index J ≥ [`NEAR`] differ in at most (1 − J)/J of the first one's words, so among its
    /// ⌊0.18·n⌋ + 1 rarest words at least one is in the other stem. The search stays exact and
    /// skips the long lists of common words ("which", "muscle").
    fn best_match(&self, set: &[u32]) -> Option<usize> {
        let mut by_rarity: Vec<u32> = set.to_vec();
        by_rarity.sort_by_key(|&w| (self.postings(w).len(), w));
        let k = (set.len() as f64 * (1.0 - NEAR) / NEAR).floor() as usize + 1;
        let mut candidates: Vec<usize> = by_rarity
            .iter()
            .take(k)
            .flat_map(|&w| self.postings(w))
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
                let shared = shared_count(set, other);
                let union = set.len() + other.len() - shared;
                (i, shared as f64 / union.max(1) as f64)
            })
            .filter(|(_, j)| *j >= NEAR)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(i, _)| i)
    }
}

/// How many numbers two sorted lists share (a merge).
fn shared_count(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
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
