//! Parsing a whole rule file with its provenance, and refusing internal codes in what people read.

use super::*;

pub(super) fn parse_rule_with(
    file: &str,
    text: &str,
    require_sources: bool,
) -> Result<Rule, RuleError> {
    let raw: RawRule = toml::from_str(text).map_err(|e| RuleError::Parse {
        file: file.to_string(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let c = Ctx { file };
    let Identity {
        jurisdiction,
        credential_kind,
        confidence,
        status,
        effective,
    } = identity(&c, &raw, file)?;
    let (deadline, due) = calendar(&c, &raw)?;
    let units = units(&c, &raw)?;
    let Settings {
        mode,
        total,
        accepted_approvals,
        excluded_topics,
        no_duplicate,
        carry_over_max,
        late_renewal,
    } = settings(&c, &raw)?;
    let reqs = requirements(&c, &raw)?;
    unique_ids(&c, &reqs)?;
    structure(&c, mode, total, &reqs)?;
    let first_cycle = first_cycle(&c, &raw, mode, total, &reqs)?;
    let Requirements {
        buckets,
        mins,
        caps,
        window_caps,
        extra_mins,
        once_ever,
        items,
        conditionals,
        excluded_from_total,
    } = reqs;
    if credential_kind == CredentialKind::NoLicense && mode != RuleMode::None {
        return Err(c.err(
            "mode",
            "a jurisdiction without a licence has mode = \"none\"",
        ));
    }

    let mut rule = Rule {
        id: raw.id.clone(),
        file: file.to_string(),
        name: raw.name.clone(),
        issuer: raw.issuer.clone(),
        jurisdiction,
        credential_kind,
        confidence,
        status,
        effective,
        aliases: raw.aliases.clone(),
        provenance: Provenance::default(),
        notes: raw.notes.clone(),
        deadline,
        due,
        units,
        mode,
        total,
        accepted_approvals,
        satisfied_by: raw.satisfied_by.clone(),
        excluded_topics,
        no_duplicate,
        carry_over_max,
        late_renewal,
        first_cycle,
        buckets,
        mins,
        caps,
        window_caps,
        extra_mins,
        once_ever,
        items,
        conditionals,
        excluded_from_total,
    };
    if require_sources {
        plain_text_only(&c, &rule)?;
    }
    if !require_sources && raw.source.is_empty() {
        rule.provenance.to_verify = raw
            .to_verify
            .iter()
            .map(|u| match u {
                provenance::RawUnverified::Text(t) => Unverified {
                    fact: None,
                    note: t.clone(),
                },
                provenance::RawUnverified::Fact { fact, note } => Unverified {
                    fact: Some(fact.clone()),
                    note: note.clone(),
                },
            })
            .collect();
        return Ok(rule);
    }
    rule.provenance = provenance::load(
        &c,
        &raw.source,
        &raw.cite,
        &raw.to_verify,
        &rule.facts(),
        confidence,
        mode,
    )?;
    Ok(rule)
}

/// The first internal code in a text people read (a snake_case code, a
/// `{XX}` jurisdiction suffix, a fact key such as `min:ethics`, a rule id).
pub fn internal_code(text: &str) -> Option<&str> {
    // Addresses are quoted as they are (a path may well contain `_`).
    let mut rest = text;
    while let Some(i) = rest.find("http") {
        if let Some(code) = code_in(&rest[..i]) {
            return Some(code);
        }
        rest = &rest[i..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = &rest[end..];
    }
    code_in(rest)
}

pub(super) fn code_in(text: &str) -> Option<&str> {
    let is_word = |c: char| {
        c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '-' || c == '{' || c == '}'
    };
    text.split(|c: char| !is_word(c)).find(|w| {
        let snake = w.contains('_')
            && w.split('_').all(|p| !p.is_empty())
            && w.chars().any(|c| c.is_ascii_lowercase());
        let braces = w.contains('{') && w.contains('}');
        let fact_key = w.split_once(':').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && b.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        });
        let rule_id = w.starts_with("us-") && w.len() > 6 && w.as_bytes().get(5) == Some(&b'-');
        snake || braces || fact_key || rule_id
    })
}

/// Names, labels, notes and open questions are shown to people: no internal codes in them.
pub(super) fn plain_text_only(c: &Ctx<'_>, rule: &Rule) -> Result<(), RuleError> {
    let mut texts: Vec<(String, &str)> = vec![
        ("name".into(), rule.name.as_str()),
        ("issuer".into(), rule.issuer.as_str()),
    ];
    texts.extend(
        rule.notes
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("notes[{i}]"), n.as_str())),
    );
    let labelled = rule.buckets.iter().chain(&rule.mins).chain(&rule.caps);
    texts.extend(
        labelled.filter_map(|r| r.label.as_deref().map(|l| (format!("{}.label", r.id), l))),
    );
    texts.extend(
        rule.extra_mins
            .iter()
            .filter_map(|r| r.label.as_deref().map(|l| (format!("{}.label", r.id), l))),
    );
    texts.extend(
        rule.items
            .iter()
            .filter_map(|r| r.label.as_deref().map(|l| (format!("{}.label", r.id), l))),
    );
    texts.extend(
        rule.once_ever
            .iter()
            .filter_map(|r| r.label.as_deref().map(|l| (format!("{}.label", r.id), l))),
    );
    texts.extend(
        rule.conditionals
            .iter()
            .chain(&rule.excluded_from_total)
            .map(|r| (format!("{}.note", r.id), r.note.as_str())),
    );
    for (field, text) in texts {
        if let Some(code) = internal_code(text) {
            return Err(c.err(
                field,
                format!("`{code}` is an internal code; people read this text, say it in words"),
            ));
        }
    }
    Ok(())
}
