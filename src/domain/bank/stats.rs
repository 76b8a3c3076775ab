//! Classical item statistics for reviewers: difficulty (proportion correct), discrimination
//! (point-biserial against the rest of the exam), and how often each option was chosen, with the
//! flags licensure programs use (p < .30 or > .90, r < .15, r < 0 = check the key, options chosen by
//! under 5 %). Computed only from 20 responses up, as sample guards recommend.

use serde::Serialize;

pub const MIN_RESPONSES: usize = 20;

/// One response: the option chosen (original index), whether it was right, and the share the
/// examinee got right on the rest of the exam.
#[derive(Debug, Clone, Copy)]
pub struct Response {
    pub chosen: usize,
    pub correct: bool,
    pub rest_score: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemStats {
    pub responses: usize,
    pub p_value: f64,
    pub point_biserial: Option<f64>,
    pub option_shares: [f64; 4],
    pub flags: Vec<String>,
}

pub fn compute(responses: &[Response], key: usize) -> Option<ItemStats> {
    let n = responses.len();
    if n < MIN_RESPONSES {
        return None;
    }
    let nf = n as f64;
    let p = responses.iter().filter(|r| r.correct).count() as f64 / nf;
    let mut counts = [0usize; 4];
    for r in responses {
        if r.chosen < 4 {
            counts[r.chosen] += 1;
        }
    }
    let shares = counts.map(|c| c as f64 / nf);
    let mean = responses.iter().map(|r| r.rest_score).sum::<f64>() / nf;
    let sd = (responses
        .iter()
        .map(|r| (r.rest_score - mean).powi(2))
        .sum::<f64>()
        / nf)
        .sqrt();
    let rpb = if sd > 1e-12 && p > 0.0 && p < 1.0 {
        let m1 = responses
            .iter()
            .filter(|r| r.correct)
            .map(|r| r.rest_score)
            .sum::<f64>()
            / (p * nf);
        let m0 = responses
            .iter()
            .filter(|r| !r.correct)
            .map(|r| r.rest_score)
            .sum::<f64>()
            / ((1.0 - p) * nf);
        Some((m1 - m0) / sd * (p * (1.0 - p)).sqrt())
    } else {
        None
    };
    let mut flags = vec![];
    if p < 0.30 {
        flags.push(format!(
            "Hard: only {:.0} % answer correctly; check the key and the wording.",
            p * 100.0
        ));
    } else if p > 0.90 {
        flags.push(format!(
            "Easy: {:.0} % answer correctly; it tells little about readiness.",
            p * 100.0
        ));
    }
    match rpb {
        Some(r) if r < 0.0 => flags.push(format!("Negative discrimination ({r:.2}): stronger students miss it more often. Check the key urgently.")),
        Some(r) if r < 0.15 => flags.push(format!("Weak discrimination ({r:.2}): it barely separates stronger from weaker students.")),
        _ => {}
    }
    for (i, s) in shares.iter().enumerate() {
        if i != key && *s < 0.05 {
            flags.push(format!(
                "Option {} is chosen by {:.0} %: a distractor nobody believes.",
                ['A', 'B', 'C', 'D'][i],
                s * 100.0
            ));
        }
    }
    Some(ItemStats {
        responses: n,
        p_value: p,
        point_biserial: rpb,
        option_shares: shares,
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(chosen: usize, key: usize, rest: f64) -> Response {
        Response {
            chosen,
            correct: chosen == key,
            rest_score: rest,
        }
    }

    #[test]
    fn too_few_responses_give_nothing() {
        let r: Vec<Response> = (0..19).map(|i| resp(i % 4, 0, 0.5)).collect();
        assert!(compute(&r, 0).is_none());
    }

    #[test]
    fn a_good_item_discriminates_and_a_miskeyed_one_is_flagged() {
        // Strong students (rest 0.9) choose the key B, weak ones (rest 0.4) spread over the rest.
        let mut r = vec![];
        for i in 0..30 {
            r.push(resp(1, 1, 0.9));
            r.push(resp([0, 2, 3][i % 3], 1, 0.4));
        }
        let s = compute(&r, 1).unwrap();
        assert!((s.p_value - 0.5).abs() < 1e-9);
        assert!(s.point_biserial.unwrap() > 0.9);
        assert!(s.flags.is_empty(), "{:?}", s.flags);
        // The same responses scored against key A: strong students now "miss" it.
        let miskeyed: Vec<Response> = r
            .iter()
            .map(|x| Response {
                correct: x.chosen == 0,
                ..*x
            })
            .collect();
        let s = compute(&miskeyed, 0).unwrap();
        assert!(s.point_biserial.unwrap() < 0.0);
        assert!(s.flags.iter().any(|f| f.contains("Check the key")));
    }

    #[test]
    fn non_functional_distractors_are_flagged() {
        let r: Vec<Response> = (0..40)
            .map(|i| resp(if i % 2 == 0 { 0 } else { 1 }, 0, (i % 7) as f64 / 7.0))
            .collect();
        let s = compute(&r, 0).unwrap();
        assert!(s.flags.iter().any(|f| f.contains("Option C")));
        assert!(s.flags.iter().any(|f| f.contains("Option D")));
    }
}
