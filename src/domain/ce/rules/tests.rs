//! Rule-file loading: every shipped file loads; bad files give errors that
//! name the file and the field.

use super::super::codes::{Delivery, Scheme, Topic};
use super::super::cycle::{DeadlineRule, Parity};
use super::super::hours::Hours;
use super::{Confidence, FirstCycle, RuleError, RuleMode, builtin_rules, parse_rule, parse_rules};

#[test]
fn all_builtin_rules_load() {
    let rules = builtin_rules().unwrap_or_else(|e| panic!("{e}"));
    let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "amta-pro",
            "ncbtmb-bctmb",
            "us-ca-lmt",
            "us-fl-lmt",
            "us-ga-lmt",
            "us-il-lmt",
            "us-md-lmt",
            "us-mi-lmt",
            "us-nc-lmt",
            "us-nm-lmt",
            "us-ny-lmt",
            "us-oh-lmt",
            "us-or-lmt",
            "us-pa-lmt",
            "us-sc-lmt",
            "us-tx-lmt",
            "us-wa-lmt",
            "us-wi-lmt"
        ]
    );
    for r in &rules {
        assert!(!r.sources.is_empty(), "{}", r.id);
        assert!(r.effective.from.is_some(), "{}", r.id);
        assert_eq!(r.file, format!("{}.toml", r.id));
        assert!(
            r.carry_over_max.is_zero(),
            "{}: no surveyed massage rule allows carry-over",
            r.id
        );
    }
}

#[test]
fn builtin_rules_encode_the_reference_facts() {
    let rules = builtin_rules().unwrap_or_else(|e| panic!("{e}"));
    let get = |id: &str| {
        rules
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };

    let fl = get("us-fl-lmt");
    assert_eq!(fl.mode, RuleMode::Partition);
    assert_eq!(fl.total, Hours::from_whole(24));
    let parts: Vec<(&str, i64)> = fl
        .buckets
        .iter()
        .map(|b| (b.id.as_str(), b.hours.centi() / 100))
        .collect();
    assert_eq!(
        parts,
        [
            ("medical_errors", 2),
            ("laws_rules", 2),
            ("ethics", 2),
            ("trafficking", 1),
            ("classroom", 12),
            ("additional", 5)
        ]
    );
    assert!(matches!(
        fl.deadline,
        DeadlineRule::Fixed {
            month: 8,
            day: 31,
            parity: Some(Parity::Odd),
            ..
        }
    ));
    assert!(matches!(fl.first_cycle, FirstCycle::Prorated { .. }));
    assert_eq!(fl.accepted_approvals, [Scheme::FlBmtProvider]);

    let nc = get("ncbtmb-bctmb");
    assert_eq!(
        (nc.mode, nc.total),
        (RuleMode::Subset, Hours::from_whole(24))
    );
    assert_eq!(nc.deadline, DeadlineRule::Anniversary { months: 24 });
    assert_eq!(nc.caps[0].hours, Hours::from_whole(4));

    let mi = get("us-mi-lmt");
    assert_eq!(mi.window_caps[0].hours, Hours::from_whole(12));
    assert_eq!(mi.extra_mins[0].id, "implicit_bias");
    assert!(!mi.extra_mins[0].counts_toward_total);

    let wa = get("us-wa-lmt");
    assert_eq!(
        wa.mins
            .iter()
            .find(|m| m.id == "roles_boundaries")
            .and_then(|m| m.within.as_deref()),
        Some("ethics_law")
    );

    let pa = get("us-pa-lmt");
    assert_eq!(
        pa.excluded_from_total[0]
            .select
            .topics
            .as_ref()
            .map(|t| t[0].topic),
        Some(Topic::CprFirstAid)
    );
    assert!(matches!(&pa.first_cycle, FirstCycle::Exempt { keep } if keep == &["child_abuse"]));

    let ny = get("us-ny-lmt");
    assert_eq!(
        ny.caps[0].select.delivery.as_deref(),
        Some(&[Delivery::SelfStudy][..])
    );
    for none in ["us-ca-lmt", "us-oh-lmt"] {
        assert_eq!(get(none).mode, RuleMode::None, "{none}");
    }
    assert_eq!(get("us-oh-lmt").confidence, Confidence::Low);
    assert_eq!(get("us-il-lmt").total, Hours::from_whole(25));
}

/// A small valid rule file; tests replace parts of it.
const BASE: &str = r#"
id = "us-zz-lmt"
name = "Test licence"
issuer = "Test board"
jurisdiction = "ZZ"
credential_kind = "license"
confidence = "M"
effective = { from = "2024-01-01" }
sources = ["https://example.org/rule"]
deadline = { kind = "fixed", month = 8, day = 31, every_years = 2, parity = "odd" }
mode = "subset"
total = 24
accepted_approvals = ["ncbtmb_course"]
carry_over = { max_hours = 0 }

[[min]]
id = "ethics"
hours = 3
select = { topic = ["ethics"] }

[[cap]]
id = "self_study"
hours = 12
select = { delivery = ["self_study"] }
"#;

const FILE: &str = "us-zz-lmt.toml";

fn err(text: &str) -> RuleError {
    match parse_rule(FILE, text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

fn field_err(text: &str) -> (String, String) {
    match err(text) {
        RuleError::Field {
            file,
            field,
            message,
        } => {
            assert_eq!(file, FILE);
            (field, message)
        }
        other => panic!("expected a field error, got {other}"),
    }
}

#[test]
fn base_file_is_valid() {
    let r = parse_rule(FILE, BASE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.mins.len(), 1);
}

#[test]
fn syntax_and_shape_errors_name_the_file() {
    let e = err("id = ");
    assert!(matches!(&e, RuleError::Parse { file, .. } if file == FILE));
    assert!(
        e.to_string().starts_with("rule file us-zz-lmt.toml:"),
        "{e}"
    );

    let e = err(&BASE.replace("total = 24", "totl = 24"));
    assert!(e.to_string().contains("unknown field `totl`"), "{e}");

    let e = err(&BASE.replace("name = \"Test licence\"\n", ""));
    assert!(e.to_string().contains("missing field `name`"), "{e}");

    let e = err(&BASE.replace("hours = 3", "hours = \"three\""));
    assert!(e.to_string().contains("us-zz-lmt.toml"), "{e}");
}

#[test]
fn field_errors_name_the_field() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "id = \"us-zz-lmt\"",
            "id = \"us-yy-lmt\"",
            "id",
            "does not match the file name",
        ),
        (
            "jurisdiction = \"ZZ\"",
            "jurisdiction = \"YY\"",
            "jurisdiction",
            "must be \"ZZ\"",
        ),
        (
            "topic = [\"ethics\"]",
            "topic = [\"ethicz\"]",
            "min[0].select.topic[0]",
            "unknown topic `ethicz`",
        ),
        (
            "delivery = [\"self_study\"]",
            "delivery = [\"zoom\"]",
            "cap[0].select.delivery[0]",
            "unknown delivery `zoom`",
        ),
        (
            "[\"ncbtmb_course\"]",
            "[\"ncbtmb_course\", \"acme\"]",
            "accepted_approvals[1]",
            "unknown approval scheme `acme`",
        ),
        (
            "confidence = \"M\"",
            "confidence = \"high\"",
            "confidence",
            "not one of: H, M, L",
        ),
        (
            "mode = \"subset\"",
            "mode = \"mixed\"",
            "mode",
            "not one of",
        ),
        (
            "{ from = \"2024-01-01\" }",
            "{ from = \"2024-02-30\" }",
            "effective.from",
            "not a date",
        ),
        (
            "\"https://example.org/rule\"",
            "\"example.org\"",
            "sources[0]",
            "not an http(s) URL",
        ),
        (
            "every_years = 2, parity",
            "every_years = 3, parity",
            "deadline.parity",
            "every_years = 2",
        ),
        (
            "month = 8, day = 31",
            "month = 2, day = 30",
            "deadline.day",
            "1 to 29 for month 2",
        ),
        (
            "kind = \"fixed\"",
            "kind = \"weekly\"",
            "deadline.kind",
            "not one of",
        ),
        (
            "hours = 3",
            "hours = 30",
            "min[0].hours",
            "more than the total",
        ),
        (
            "hours = 3",
            "hours = -3",
            "min[0].hours",
            "between 0 and 10000",
        ),
        (
            "carry_over = { max_hours = 0 }",
            "carry_over = { max_hours = 0 }\nbackfill_prior_deficit = true",
            "backfill_prior_deficit",
            "not supported",
        ),
        (
            "id = \"self_study\"",
            "id = \"ethics\"",
            "cap.id",
            "used twice",
        ),
        (
            "id = \"self_study\"",
            "id = \"total\"",
            "cap[0].id",
            "reserved",
        ),
    ];
    for (from, to, field, msg) in cases {
        assert!(BASE.contains(from), "test case does not apply: {from}");
        let (f, m) = field_err(&BASE.replacen(from, to, 1));
        assert_eq!(&f, field, "case {to}: {m}");
        assert!(m.contains(msg), "case {to}: field {f}: {m}");
    }
}

#[test]
fn structure_errors() {
    // partition buckets must add up to the total
    let partition = BASE
        .replace("mode = \"subset\"", "mode = \"partition\"")
        .replace("[[min]]", "[[bucket]]");
    let (f, m) = field_err(&partition);
    assert_eq!(f, "total");
    assert!(m.contains("buckets add up to 3 h"), "{m}");

    // nested minimum must be inside its parent
    let nested = format!(
        "{BASE}\n[[min]]\nid = \"business\"\nhours = 1\nselect = {{ topic = [\"business\"] }}\nwithin = \"ethics\"\n"
    );
    let (f, m) = field_err(&nested);
    assert_eq!(f, "min[1].within");
    assert!(m.contains("not contained"), "{m}");
    let nested_ok = nested.replace("[\"business\"]", "[\"boundaries\"]");
    assert!(parse_rule(FILE, &nested_ok).is_ok());

    // three pairwise-crossing groups: ethics (topic), self-study (delivery), per-day window
    let three =
        format!("{BASE}\n[[window_cap]]\nid = \"per_day\"\nhours = 12\nwindow_hours = 24\n");
    let (f, m) = field_err(&three);
    assert!(
        f.contains("per_day") || f.contains("self_study") || f.contains("ethics"),
        "{f}"
    );
    assert!(m.contains("two nested-or-disjoint families"), "{m}");
    // without the delivery cap it is fine (MI's shape)
    let mi_shape = three.replace(
        "[[cap]]\nid = \"self_study\"\nhours = 12\nselect = { delivery = [\"self_study\"] }\n",
        "",
    );
    assert!(parse_rule(FILE, &mi_shape).is_ok());

    let bad_window =
        format!("{BASE}\n[[window_cap]]\nid = \"per_two_days\"\nhours = 12\nwindow_hours = 48\n");
    let (f, _) = field_err(&bad_window);
    assert_eq!(f, "window_cap[0].window_hours");

    let keep = BASE.replace(
        "carry_over = { max_hours = 0 }",
        "carry_over = { max_hours = 0 }\nfirst_cycle = { kind = \"exempt\", keep = [\"nope\"] }",
    );
    let (f, m) = field_err(&keep);
    assert_eq!(f, "first_cycle.keep[0]");
    assert!(m.contains("`nope`"), "{m}");

    let none_with_total = BASE.replace("mode = \"subset\"", "mode = \"none\"");
    let (f, _) = field_err(&none_with_total);
    assert_eq!(f, "mode");
}

#[test]
fn duplicate_ids_across_files() {
    let e = parse_rules([(FILE, BASE), ("other/us-zz-lmt.toml", BASE)]).expect_err("duplicate");
    assert!(matches!(e, RuleError::DuplicateId { .. }));
    assert!(
        e.to_string().contains("us-zz-lmt.toml") && e.to_string().contains("other/us-zz-lmt.toml"),
        "{e}"
    );
}
