//! Targeted evaluator tests on the engine fixtures (`testdata/`, the rules as first surveyed:
//! they exercise every feature of the vocabulary) and a few synthetic ones. The shipped rules
//! are tested through their worked scenarios (`tests/golden/ce`).

use time::Date;
use time::macros::date;

use super::super::codes::{Delivery, ItemKind, Scheme, TopicRef, Unit};
use super::super::hours::Hours;
use super::super::rules::{Rule, fixtures, parse_rule};
use super::{
    Activity, Credential, CredentialItem, CredentialReport, Log, Status, evaluate_credential,
};

fn h(x: i64) -> Hours {
    Hours::from_whole(x)
}

fn rule(id: &str) -> Rule {
    fixtures()
        .current(id)
        .cloned()
        .unwrap_or_else(|| panic!("no rule {id}"))
}

fn act(
    id: &str,
    on: Date,
    delivery: Delivery,
    hours: i64,
    topics: &[(&str, i64)],
    approvals: &[Scheme],
) -> Activity {
    Activity {
        id: id.into(),
        title: format!("course {id}"),
        provider: None,
        course_id: None,
        completed_on: on,
        delivery,
        amount: h(hours),
        unit: Unit::CeHour,
        topics: topics
            .iter()
            .map(|(t, x)| (TopicRef::parse(t).unwrap_or_else(|e| panic!("{e}")), h(*x)))
            .collect(),
        approvals: approvals.to_vec(),
        relevance_note: None,
    }
}

struct Case {
    issued: Date,
    as_of: Date,
    birth: Option<Date>,
    acts: Vec<Activity>,
    items: Vec<CredentialItem>,
    first: Option<bool>,
    late: Option<Date>,
}

impl Case {
    fn new(issued: Date, as_of: Date) -> Case {
        Case {
            issued,
            as_of,
            birth: None,
            acts: Vec::new(),
            items: Vec::new(),
            first: None,
            late: None,
        }
    }

    fn eval(&self, rule: &Rule) -> CredentialReport {
        let cred = Credential {
            rule: rule.id.clone(),
            issued_on: self.issued,
            number: None,
            first_cycle: self.first,
            late_renewal_approved_on: self.late,
            cycle_override: None,
        };
        let log = Log {
            as_of: self.as_of,
            birth_date: self.birth,
            activities: &self.acts,
            items: &self.items,
            held: &[],
        };
        evaluate_credential(rule, &cred, &log).unwrap_or_else(|e| panic!("{e}"))
    }
}

fn req(r: &CredentialReport, id: &str) -> (Hours, Hours) {
    let x = r
        .requirements
        .iter()
        .find(|x| x.id == id)
        .unwrap_or_else(|| panic!("no requirement {id}"));
    (x.required, x.counted)
}

fn deficit(r: &CredentialReport, id: &str) -> Option<(Hours, String)> {
    r.deficits
        .iter()
        .find(|d| d.requirement == id)
        .map(|d| (d.hours, d.detail.clone()))
}

fn excluded(r: &CredentialReport, activity: &str, reason: &str) -> Hours {
    r.excluded
        .iter()
        .filter(|e| e.activity == activity && e.reason.starts_with(reason))
        .map(|e| e.hours)
        .sum()
}

#[test]
fn washington_nested_minimums_report_residual_deficits() {
    let wa = rule("us-wa-lmt");
    let mut c = Case::new(date!(2015 - 01 - 10), date!(2025 - 06 - 01));
    c.birth = Some(date!(1990 - 09 - 15));
    c.acts = vec![
        act(
            "W1",
            date!(2024 - 10 - 01),
            Delivery::LiveOnline,
            1,
            &[("communication", 1)],
            &[],
        ),
        act(
            "W2",
            date!(2024 - 11 - 01),
            Delivery::InPersonHandsOn,
            10,
            &[("technique", 10)],
            &[],
        ),
        act(
            "W3",
            date!(2025 - 01 - 05),
            Delivery::SelfStudy,
            14,
            &[("pathology", 14)],
            &[],
        ),
    ];
    let r = c.eval(&wa);
    // birthdays every 2 years from the first at least 12 months after issue (2016-09-15)
    assert_eq!(r.cycle.start, "2024-09-16");
    assert_eq!(r.cycle.end, "2026-09-15");
    // distance cap: W1 1 + W3 14 online → 12 count
    assert_eq!(excluded(&r, "W3", "cap:distance"), h(3));
    assert_eq!(req(&r, "total"), (h(24), h(22)));
    assert_eq!(req(&r, "ethics_law"), (h(4), h(1)));
    assert_eq!(deficit(&r, "roles_boundaries").map(|d| d.0), Some(h(2)));
    let (outer, detail) = deficit(&r, "ethics_law").unwrap_or_default();
    assert_eq!(outer, h(1));
    assert!(
        detail.contains("besides the hours listed for professional roles & boundaries"),
        "{detail}"
    );
    assert_eq!(deficit(&r, "health_equity").map(|d| d.0), Some(h(2)));
    // 2 (roles) + 1 (ethics group) + 2 (health equity) = 5 h of minimums;
    // the total gap is only 2, so no separate total deficit.
    assert_eq!(deficit(&r, "total"), None);
    assert_eq!(r.hours_needed, h(5));
    assert_eq!(r.status, Status::Deficient);
}

#[test]
fn pennsylvania_crossing_minimums_share_hours() {
    let pa = rule("us-pa-lmt");
    let mut c = Case::new(date!(2015 - 01 - 10), date!(2025 - 06 - 01));
    c.acts = vec![
        act(
            "P1",
            date!(2025 - 03 - 01),
            Delivery::SelfStudy,
            20,
            &[("technique", 20)],
            &[Scheme::NcbtmbCourse],
        ),
        act(
            "P2",
            date!(2025 - 03 - 02),
            Delivery::InPersonLecture,
            4,
            &[("cpr_first_aid", 4)],
            &[Scheme::Amta],
        ),
        act(
            "P3",
            date!(2025 - 03 - 03),
            Delivery::SelfStudy,
            3,
            &[("child_abuse_reporting", 3)],
            &[Scheme::PaBoard],
        ),
    ];
    c.items = vec![CredentialItem {
        kind: ItemKind::CprBls,
        valid_from: Some(date!(2024 - 01 - 01)),
        valid_to: Some(date!(2026 - 01 - 01)),
    }];
    let r = c.eval(&pa);
    assert_eq!(
        (r.cycle.start.as_str(), r.cycle.end.as_str()),
        ("2025-02-01", "2027-01-31")
    );
    // CPR hours don't count toward the 24
    assert_eq!(excluded(&r, "P2", "excluded_from_total"), h(4));
    // child abuse: 2 counted on top, 1 excess
    assert_eq!(req(&r, "child_abuse"), (h(2), h(2)));
    assert_eq!(excluded(&r, "P3", "extra_min_excess"), h(1));
    assert_eq!(req(&r, "total"), (h(24), h(20)));
    // ethics 4 and contact 16 missing; 4 in-person ethics hours serve both:
    // 16 new hours clear everything (not 20).
    let (eh, ed) = deficit(&r, "ethics").unwrap_or_default();
    assert_eq!(eh, h(4));
    assert!(ed.contains("also count toward contact"), "{ed}");
    assert_eq!(deficit(&r, "contact").map(|d| d.0), Some(h(16)));
    assert_eq!(deficit(&r, "total"), None);
    assert_eq!(r.hours_needed, h(16));
    // CPR card expires before the deadline
    let (_, cpr) = deficit(&r, "cpr").unwrap_or_default();
    assert!(
        cpr.contains("valid on 2027-01-31") && cpr.contains("expires 2026-01-01"),
        "{cpr}"
    );
}

#[test]
fn pennsylvania_first_biennium_waiver_keeps_act_31() {
    let pa = rule("us-pa-lmt");
    let c = Case::new(date!(2025 - 03 - 01), date!(2025 - 06 - 01));
    let r = c.eval(&pa);
    assert!(r.cycle.first);
    assert_eq!(r.required_hours, Hours::ZERO);
    assert_eq!(r.status, Status::Deficient);
    assert_eq!(r.deficits.len(), 1);
    assert_eq!(r.deficits[0].requirement, "child_abuse");
    assert_eq!(r.hours_needed, h(2));
}

#[test]
fn florida_first_cycle_is_prorated() {
    let fl = rule("us-fl-lmt");
    let mut c = Case::new(date!(2025 - 03 - 10), date!(2025 - 06 - 01));
    c.acts = vec![act(
        "F1",
        date!(2025 - 04 - 01),
        Delivery::SelfStudy,
        2,
        &[("medical_errors", 2)],
        &[Scheme::FlBmtProvider],
    )];
    let r = c.eval(&fl);
    assert!(r.cycle.first);
    // March (part) to August = 6 months → 6 h: 2 medical errors + 1 trafficking + 3 any
    assert_eq!(r.required_hours, h(6));
    assert_eq!(req(&r, "medical_errors"), (h(2), h(2)));
    assert_eq!(req(&r, "trafficking"), (h(1), h(0)));
    assert_eq!(req(&r, "prorated_other"), (h(3), h(0)));
    assert_eq!(r.hours_needed, h(4));
}

#[test]
fn texas_caps_and_hhsc_minimum() {
    let tx = rule("us-tx-lmt");
    let mut c = Case::new(date!(2024 - 02 - 01), date!(2025 - 06 - 01));
    c.acts = vec![
        act(
            "T1",
            date!(2024 - 05 - 01),
            Delivery::SelfStudy,
            4,
            &[("human_trafficking", 4)],
            &[Scheme::TxCeProvider],
        ),
        act(
            "T2",
            date!(2024 - 06 - 01),
            Delivery::InPersonLecture,
            8,
            &[("cpr_first_aid", 8)],
            &[Scheme::TxCeProvider],
        ),
    ];
    let r = c.eval(&tx);
    assert_eq!(excluded(&r, "T1", "cap:human_trafficking_cap"), h(1));
    assert_eq!(excluded(&r, "T2", "cap:cpr_first_aid"), h(2));
    assert_eq!(req(&r, "total"), (h(12), h(9)));
    let (hh, detail) = deficit(&r, "human_trafficking").unwrap_or_default();
    assert_eq!(hh, h(1));
    assert!(detail.contains("HHSC-approved"), "{detail}");
    // once an HHSC course is logged the min wins a place under the HT cap
    c.acts.push(act(
        "T3",
        date!(2024 - 07 - 01),
        Delivery::SelfStudy,
        1,
        &[("human_trafficking", 1)],
        &[Scheme::HhscHt],
    ));
    let r = c.eval(&tx);
    assert_eq!(req(&r, "human_trafficking"), (h(1), h(1)));
    assert_eq!(excluded(&r, "T1", "cap:human_trafficking_cap"), h(2));
    assert_eq!(req(&r, "total"), (h(12), h(9)));
    assert_eq!(deficit(&r, "total").map(|d| d.0), Some(h(3)));
}

#[test]
fn units_convert_per_rule() {
    let tx = rule("us-tx-lmt");
    let mut semester = act(
        "U1",
        date!(2024 - 05 - 01),
        Delivery::Academic,
        1,
        &[("pathology", 1)],
        &[Scheme::TxCeProvider],
    );
    semester.unit = Unit::SemesterCredit;
    let mut minutes = act(
        "U2",
        date!(2024 - 05 - 02),
        Delivery::InPersonLecture,
        100,
        &[],
        &[Scheme::TxCeProvider],
    );
    minutes.unit = Unit::Minute;
    let mut c = Case::new(date!(2024 - 02 - 01), date!(2025 - 06 - 01));
    c.acts = vec![semester.clone(), minutes.clone()];
    let r = c.eval(&tx);
    // 1 semester hour = 15 h; 100 minutes = 2 CE hours of 50 minutes
    assert_eq!(req(&r, "total").1, h(17));
    // NY has no conversion for semester credits
    let ny = rule("us-ny-lmt");
    let mut c = Case::new(date!(2015 - 02 - 01), date!(2025 - 06 - 01));
    c.birth = Some(date!(1985 - 06 - 20));
    semester.approvals = vec![Scheme::NySponsor];
    c.acts = vec![semester];
    let r = c.eval(&ny);
    assert_eq!(excluded(&r, "U1", "unit_not_convertible"), h(1));
}

#[test]
fn window_and_date_reasons() {
    let nc = rule("ncbtmb-bctmb");
    let mut c = Case::new(date!(2020 - 03 - 15), date!(2025 - 06 - 01));
    c.acts = vec![
        act(
            "N1",
            date!(2023 - 01 - 01),
            Delivery::InPersonHandsOn,
            5,
            &[("technique", 5)],
            &[Scheme::NcbtmbCourse],
        ),
        act(
            "N2",
            date!(2025 - 07 - 01),
            Delivery::InPersonHandsOn,
            5,
            &[("technique", 5)],
            &[Scheme::NcbtmbCourse],
        ),
    ];
    let r = c.eval(&nc);
    assert_eq!(excluded(&r, "N1", "out_of_window"), h(5));
    assert_eq!(excluded(&r, "N2", "not_yet_completed"), h(5));
}

#[test]
fn ncbtmb_duplicates_across_cycles_and_late_renewal() {
    let nc = rule("ncbtmb-bctmb");
    let mut c = Case::new(date!(2020 - 03 - 15), date!(2025 - 06 - 01));
    let mut again = act(
        "N2",
        date!(2024 - 05 - 01),
        Delivery::InPersonHandsOn,
        5,
        &[("technique", 5)],
        &[Scheme::NcbtmbCourse],
    );
    again.title = "course N1".into();
    c.acts = vec![
        act(
            "N1",
            date!(2023 - 01 - 01),
            Delivery::InPersonHandsOn,
            5,
            &[("technique", 5)],
            &[Scheme::NcbtmbCourse],
        ),
        again,
        act(
            "N3",
            date!(2024 - 04 - 01),
            Delivery::InPersonHandsOn,
            2,
            &[("ethics", 2)],
            &[Scheme::NcbtmbCourse],
        ),
    ];
    let r = c.eval(&nc);
    assert_eq!(excluded(&r, "N2", "duplicate"), h(5));
    c.late = Some(date!(2024 - 04 - 15));
    let r = c.eval(&nc);
    assert_eq!(excluded(&r, "N3", "out_of_window"), h(2));
    assert!(r.excluded.iter().any(|e| e.detail.contains("late renewal")));
}

#[test]
fn oregon_items_once_ever_and_due_date() {
    let or = rule("us-or-lmt");
    let mut c = Case::new(date!(2015 - 05 - 01), date!(2025 - 01 - 10));
    c.birth = Some(date!(1990 - 02 - 14));
    c.acts = vec![
        act(
            "O1",
            date!(2024 - 05 - 01),
            Delivery::SelfStudy,
            4,
            &[("ethics", 4)],
            &[],
        ),
        act(
            "O2",
            date!(2024 - 06 - 01),
            Delivery::LiveOnline,
            21,
            &[("technique", 20), ("cultural_competency", 1)],
            &[],
        ),
    ];
    let r = c.eval(&or);
    assert_eq!(r.cycle.deadline, "2025-02-01");
    assert_eq!(r.cycle.end, "2025-02-28");
    // self-study ethics is not supervised learning
    assert_eq!(req(&r, "ethics_supervised"), (h(4), h(0)));
    assert_eq!(req(&r, "total"), (h(25), h(25)));
    assert!(deficit(&r, "pain_module").is_some());
    assert!(deficit(&r, "bls").is_some());
    c.acts.push(act(
        "O3",
        date!(2019 - 01 - 01),
        Delivery::SelfStudy,
        1,
        &[("pain_symptom_mgmt", 1)],
        &[Scheme::OpmcPain],
    ));
    c.items.push(CredentialItem {
        kind: ItemKind::CprBls,
        valid_from: Some(date!(2024 - 01 - 01)),
        valid_to: None,
    });
    let r = c.eval(&or);
    assert!(deficit(&r, "pain_module").is_none());
    assert!(deficit(&r, "bls").is_none());
    assert_eq!(r.deficits.len(), 1);
}

#[test]
fn credentials_without_ce_are_exempt() {
    for id in ["us-ca-lmt", "us-oh-lmt"] {
        let r = Case::new(date!(2020 - 01 - 01), date!(2025 - 06 - 01)).eval(&rule(id));
        assert_eq!(r.status, Status::Exempt, "{id}");
        assert_eq!(r.required_hours, Hours::ZERO);
        assert!(r.requirements.is_empty());
    }
}

#[test]
fn new_mexico_technique_must_be_hands_on() {
    let nm = rule("us-nm-lmt");
    let mut c = Case::new(date!(2021 - 01 - 01), date!(2024 - 06 - 01));
    c.acts = vec![
        act(
            "M1",
            date!(2024 - 01 - 10),
            Delivery::LiveOnline,
            4,
            &[("technique", 4)],
            &[],
        ),
        act(
            "M2",
            date!(2024 - 01 - 11),
            Delivery::SelfStudy,
            10,
            &[("pathology", 10)],
            &[],
        ),
    ];
    let r = c.eval(&nm);
    assert_eq!(excluded(&r, "M1", "excluded_from_total"), h(4));
    assert_eq!(excluded(&r, "M2", "cap:online"), h(2));
    assert_eq!(req(&r, "total"), (h(16), h(8)));
}

#[test]
fn michigan_extra_min_excess_and_effective_warning() {
    let mi = rule("us-mi-lmt");
    let mut c = Case::new(date!(2022 - 11 - 15), date!(2026 - 05 - 01));
    c.acts = vec![act(
        "I1",
        date!(2024 - 01 - 10),
        Delivery::LiveOnline,
        2,
        &[("implicit_bias", 2)],
        &[],
    )];
    let r = c.eval(&mi);
    assert_eq!(excluded(&r, "I1", "extra_min_excess:implicit_bias"), h(1));
    assert_eq!(req(&r, "implicit_bias"), (h(3), h(1)));
    assert!(r.warnings.is_empty());
    // An old cycle is evaluated, with a warning that the rules may differ.
    let fl = rule("us-fl-lmt");
    let r = Case::new(date!(2015 - 01 - 01), date!(2021 - 06 - 01)).eval(&fl);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("rules in force may differ")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn conditional_relevance_note_is_shown() {
    let amta = rule("amta-pro");
    let mut c = Case::new(date!(2020 - 01 - 01), date!(2025 - 06 - 01));
    let mut aroma = act(
        "R1",
        date!(2024 - 05 - 01),
        Delivery::InPersonHandsOn,
        8,
        &[("aromatherapy", 8)],
        &[],
    );
    aroma.relevance_note = Some("used in my relaxation sessions".into());
    c.acts = vec![
        aroma,
        act(
            "R2",
            date!(2024 - 06 - 01),
            Delivery::InPersonHandsOn,
            40,
            &[("technique", 40)],
            &[],
        ),
    ];
    let r = c.eval(&amta);
    assert_eq!(r.status, Status::Conditional);
    assert!(
        r.conditions[0]
            .note
            .contains("used in my relaxation sessions")
    );
    c.acts.push(act(
        "R3",
        date!(2024 - 07 - 01),
        Delivery::InPersonHandsOn,
        8,
        &[("pathology", 8)],
        &[],
    ));
    let r = c.eval(&amta);
    assert_eq!(r.status, Status::Compliant);
}

#[test]
fn carry_over_when_a_rule_allows_it() {
    let text = r#"
id = "us-gu-lmt"
name = "Carry test"
issuer = "Test"
jurisdiction = "GU"
credential_kind = "license"
confidence = "L"
effective = { from = "2000-01-01" }
to_verify = [
  { fact = "deadline", note = "test" },
  { fact = "total", note = "test" },
  { fact = "carry_over", note = "test" },
]
deadline = { kind = "anniversary", months = 24 }
mode = "subset"
total = 10
carry_over = { max_hours = 4 }

[[source]]
id = "x"
citation = "Test"
url = "https://example.org"
read_on = "2026-12-06"
primary = false
"#;
    let r = parse_rule("us-gu-lmt.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let mut c = Case::new(date!(2020 - 01 - 01), date!(2023 - 06 - 01));
    c.acts = vec![
        act(
            "K1",
            date!(2021 - 01 - 01),
            Delivery::InPersonHandsOn,
            16,
            &[],
            &[],
        ),
        act(
            "K2",
            date!(2022 - 05 - 01),
            Delivery::InPersonHandsOn,
            3,
            &[],
            &[],
        ),
    ];
    let rep = c.eval(&r);
    // previous cycle 2020-01-01..2021-12-31 had 6 h surplus → 4 carried
    assert_eq!(req(&rep, "total"), (h(10), h(7)));
    assert!(
        rep.allocations
            .iter()
            .any(|a| a.activity == "carry-over" && a.hours == h(4))
    );
}

// ---------------------------------------------------------------------------
// Property test: on small random logs, for the shipped rules, the hours the
// evaluator counts are the brute-force optimum of the same requirements.

mod random_logs {
    use proptest::prelude::*;
    use time::macros::date;

    use super::super::super::allocate::Mode;
    use super::super::super::allocate::brute::{best_partition, best_subset, subset_size};
    use super::super::super::codes::{Delivery, Scheme};
    use super::super::super::cycle::cycle_at;
    use super::super::{
        Credential, Log, active_requirements, evaluate_credential, prepare, run_main,
    };
    use super::{act, rule};

    const RULES: &[&str] = &[
        "ncbtmb-bctmb",
        "us-nc-lmt",
        "us-wa-lmt",
        "us-mi-lmt",
        "us-ny-lmt",
        "us-tx-lmt",
        "us-pa-lmt",
        "us-fl-lmt",
        "us-md-lmt",
        "amta-pro",
    ];
    const TOPICS: &[&str] = &[
        "ethics",
        "boundaries",
        "communication",
        "self_care",
        "business",
        "technique",
        "human_trafficking",
        "cpr_first_aid",
        "pain_symptom_mgmt",
        "health_equity",
        "medical_errors",
        "reiki",
    ];
    const SCHEMES: &[Scheme] = &[
        Scheme::NcbtmbCourse,
        Scheme::TxCeProvider,
        Scheme::HhscHt,
        Scheme::FlBmtProvider,
        Scheme::FlHt,
        Scheme::NySponsor,
        Scheme::Amta,
    ];

    type RawAct = (usize, bool, Vec<(usize, i64)>, Vec<bool>);

    fn log_strategy() -> impl Strategy<Value = Vec<RawAct>> {
        prop::collection::vec(
            (
                0usize..Delivery::ALL.len(),
                any::<bool>(),
                prop::collection::vec((0usize..TOPICS.len(), 1i64..=5), 1..=2),
                prop::collection::vec(any::<bool>(), SCHEMES.len()),
            ),
            1..=3,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

        #[test]
        fn counted_hours_are_the_brute_force_optimum(rule_ix in 0..RULES.len(), raw in log_strategy()) {
            let r = rule(RULES[rule_ix]);
            let (issued, as_of, birth) = (date!(2015 - 01 - 10), date!(2025 - 06 - 01), Some(date!(1990 - 09 - 15)));
            let cycle = cycle_at(&r.deadline, r.due, issued, crate::domain::ce::Holder::born(birth), as_of).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let days = [cycle.start, cycle.start.next_day().unwrap_or(cycle.start)];
            let acts: Vec<_> = raw
                .iter()
                .enumerate()
                .map(|(i, (d, second_day, topics, schemes))| {
                    let mut seen = Vec::new();
                    let topics: Vec<(&str, i64)> = topics
                        .iter()
                        .filter(|(t, _)| if seen.contains(t) { false } else { seen.push(*t); true })
                        .map(|(t, x)| (TOPICS[*t], *x))
                        .collect();
                    let total = topics.iter().map(|(_, x)| x).sum();
                    let approvals: Vec<Scheme> =
                        SCHEMES.iter().zip(schemes).filter(|(_, on)| **on).map(|(s, _)| *s).collect();
                    act(&format!("R{i}"), days[usize::from(*second_day)], Delivery::ALL[*d], total, &topics, &approvals)
                })
                .collect();
            let log = Log { as_of, birth_date: birth, activities: &acts, items: &[], held: &[] };
            let cred = Credential { rule: r.id.clone(), issued_on: issued, number: None, first_cycle: Some(false), late_renewal_approved_on: None, cycle_override: None };
            let active = active_requirements(&r, &cycle, false);
            let prepared = prepare(&r, &active, &cycle, &cred, &log);
            let run = run_main(&active, &prepared.main).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let report = evaluate_credential(&r, &cred, &log).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(report.counted_hours, run.lenient.total);
            match active.mode {
                Mode::Subset => {
                    prop_assume!(subset_size(&run.problem) <= 50_000);
                    let (fill, total) = run.lenient.objective(&run.problem);
                    prop_assert_eq!((fill.centi(), total.centi()), best_subset(&run.problem));
                }
                Mode::Partition => {
                    prop_assume!(subset_size(&run.problem) <= 2_000);
                    prop_assert_eq!(run.lenient.total.centi(), best_partition(&run.problem));
                }
            }
            // every logged hour is either counted or explained
            let logged: i64 = acts.iter().map(|a| a.amount.centi()).sum();
            let counted: i64 = report.allocations.iter().map(|a| a.hours.centi()).sum();
            let excluded: i64 = report.excluded.iter().map(|e| e.hours.centi()).sum();
            prop_assert_eq!(logged, counted + excluded);
            prop_assert!(report.excluded.iter().all(|e| e.reason != "not_counted"));
        }
    }
}
