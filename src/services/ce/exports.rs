//! What leaves Palpate about a person's CE: the transcript (CSV, PDF), the audit pack (a streamed
//! ZIP with the certificates and a hash manifest) and the calendar feed of deadlines.

use super::*;

fn csv_field(s: &str) -> String {
    // Quote everything; neutralise spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The transcript of one credential's current cycle as CSV: where every hour went, and why any
/// hour did not count.
pub async fn transcript_csv(
    state: &AppState,
    user_id: i64,
    credential_id: i64,
) -> AppResult<(String, String)> {
    let log = log(state, user_id).await?;
    let cred = log
        .credentials
        .iter()
        .find(|c| c.id == credential_id)
        .ok_or_else(|| AppError::NotFound("No such credential.".into()))?;
    let today = state.clock.now().date();
    let r = evaluate_one(&log, cred, today);
    let by_id: std::collections::HashMap<String, &db::Activity> = log
        .activities
        .iter()
        .map(|a| (a.id.to_string(), a))
        .collect();
    let mut out = String::new();
    let cycle = r.cycle.clone().unwrap_or_default();
    out.push_str(&format!(
        "{},{}\n",
        csv_field("Credential"),
        csv_field(&r.name)
    ));
    out.push_str(&format!(
        "{},{}\n",
        csv_field("Number"),
        csv_field(cred.number.as_deref().unwrap_or(""))
    ));
    out.push_str(&format!(
        "{},{}\n",
        csv_field("Cycle"),
        csv_field(&format!(
            "{} to {} (deadline {})",
            cycle.start, cycle.end, cycle.deadline
        ))
    ));
    out.push_str(&format!(
        "{},{}\n",
        csv_field("Status"),
        csv_field(&r.status_label)
    ));
    out.push_str(&format!(
        "{},{}\n",
        csv_field("Hours counted"),
        csv_field(&format!("{} of {}", r.counted_hours, r.required_hours))
    ));
    out.push('\n');
    out.push_str("\"Completed\",\"Course\",\"Provider\",\"Delivery\",\"Approvals\",\"Topic\",\"Hours\",\"Counts toward\",\"Not counted because\"\n");
    for a in &r.allocations {
        let act = by_id.get(&a.activity);
        let approvals: BTreeMap<String, String> = act
            .map(|x| serde_json::from_str(&x.approvals).unwrap_or_default())
            .unwrap_or_default();
        out.push_str(
            &[
                csv_field(&act.map(|x| x.completed_on.to_string()).unwrap_or_default()),
                csv_field(&a.activity_title),
                csv_field(act.map(|x| x.provider.as_str()).unwrap_or("")),
                csv_field(&act.map(|x| delivery_label(&x.delivery)).unwrap_or_default()),
                csv_field(
                    &approvals
                        .iter()
                        .map(|(k, v)| format!("{} {v}", scheme_label(k)).trim_end().to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                csv_field(&a.topic),
                format!("{}", a.hours),
                csv_field(&a.counts_for.join("; ")),
                csv_field(""),
            ]
            .join(","),
        );
        out.push('\n');
    }
    for x in &r.excluded {
        let act = by_id.get(&x.activity);
        out.push_str(
            &[
                csv_field(&act.map(|a| a.completed_on.to_string()).unwrap_or_default()),
                csv_field(&x.activity_title),
                csv_field(act.map(|a| a.provider.as_str()).unwrap_or("")),
                csv_field(&act.map(|a| delivery_label(&a.delivery)).unwrap_or_default()),
                csv_field(""),
                csv_field(""),
                format!("{}", x.hours),
                csv_field(""),
                csv_field(&x.reason),
            ]
            .join(","),
        );
        out.push('\n');
    }
    let name = format!(
        "transcript-{}-{}.csv",
        file_slug(&cred.rule_id),
        cycle.deadline
    );
    Ok((name, out))
}

/// The secret part of a person's calendar-feed URL (calendar apps cannot log in): derived from
/// the server's key, the person and the salt they last chose by resetting it.
pub async fn feed_key(state: &AppState, user_id: i64) -> AppResult<String> {
    use sha2::{Digest, Sha256};
    let salt = state
        .db(move |c| Ok(db::calendar_salt(c, user_id)?))
        .await?;
    let key = state.settings.session_key().unwrap_or_default();
    let mut h = Sha256::new();
    h.update(&key);
    h.update(b"palpate-ce-calendar");
    h.update(user_id.to_be_bytes());
    if let Some(salt) = salt {
        h.update(b"|");
        h.update(salt.as_bytes());
    }
    Ok(hex::encode(&h.finalize()[..16]))
}

/// Replaces the person's calendar-feed address; the old one stops working at once.
pub async fn reset_feed_key(state: &AppState, user_id: i64) -> AppResult<()> {
    let salt = crate::domain::accounts::random_hex(16);
    let clock = state.clock.clone();
    state
        .tx(move |c| Ok(db::set_calendar_salt(c, user_id, &salt, clock.now())?))
        .await
}

fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// An iCalendar feed with every credential's renewal deadline.
pub async fn calendar(state: &AppState, user_id: i64) -> AppResult<String> {
    let reports = evaluate(state, user_id).await?;
    let stamp = state
        .clock
        .now()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_default();
    let mut out = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Palpate//CE deadlines//EN\r\nCALSCALE:GREGORIAN\r\nX-WR-CALNAME:Palpate renewal deadlines\r\n",
    );
    for r in reports {
        let Some(c) = &r.cycle else { continue };
        let day = c.deadline.replace('-', "");
        let summary = format!(
            "{} renewal deadline",
            if r.name.is_empty() { &r.rule } else { &r.name }
        );
        let mut desc = r.status_label.clone();
        for d in &r.deficits {
            desc.push_str(&format!("\n- {}", d.detail));
        }
        out.push_str("BEGIN:VEVENT\r\n");
        out.push_str(&format!(
            "UID:palpate-ce-{}-{}@palpate\r\n",
            r.credential_id, day
        ));
        out.push_str(&format!("DTSTAMP:{stamp}\r\n"));
        out.push_str(&format!("DTSTART;VALUE=DATE:{day}\r\n"));
        out.push_str(&format!("SUMMARY:{}\r\n", ics_text(&summary)));
        out.push_str(&format!("DESCRIPTION:{}\r\n", ics_text(&desc)));
        out.push_str("BEGIN:VALARM\r\nTRIGGER:-P30D\r\nACTION:DISPLAY\r\nDESCRIPTION:CE renewal deadline in 30 days\r\nEND:VALARM\r\n");
        out.push_str("END:VEVENT\r\n");
    }
    out.push_str("END:VCALENDAR\r\n");
    Ok(out)
}

/// The audit pack of one credential's cycle: the transcript, every certificate of the activities it
/// lists, and a SHA-256 manifest of the files.
pub async fn audit_pack(
    state: &AppState,
    user_id: i64,
    credential_id: i64,
) -> AppResult<(String, Vec<archive::Entry>)> {
    use sha2::{Digest, Sha256};
    let (csv_name, csv) = transcript_csv(state, user_id, credential_id).await?;
    let log = log(state, user_id).await?;
    let cred = log
        .credentials
        .iter()
        .find(|c| c.id == credential_id)
        .ok_or_else(|| AppError::NotFound("No such credential.".into()))?;
    let report = evaluate_one(&log, cred, state.clock.now().date());
    let used: std::collections::BTreeSet<String> = report
        .allocations
        .iter()
        .map(|a| a.activity.clone())
        .chain(report.excluded.iter().map(|x| x.activity.clone()))
        .collect();
    // Certificates are stored under their SHA-256, so the manifest needs no second read.
    let csv = csv.into_bytes();
    let mut manifest = String::from("SHA-256 of every file in this audit pack\n\n");
    manifest.push_str(&format!(
        "{}  {}\n",
        hex::encode(Sha256::digest(&csv)),
        csv_name
    ));
    let mut entries = vec![archive::Entry {
        name: csv_name,
        source: archive::Source::Bytes(csv),
    }];
    for a in log
        .activities
        .iter()
        .filter(|a| used.contains(&a.id.to_string()))
    {
        if let (Some(sha), Some(name)) = (&a.certificate_sha, &a.certificate_name) {
            let path = certificates::path(&state.settings.data_dir, sha)?;
            let entry = format!("certificates/{}-{}", a.id, name);
            manifest.push_str(&format!("{sha}  {entry}\n"));
            entries.push(archive::Entry {
                name: entry,
                source: archive::Source::File(path),
            });
        }
    }
    entries.push(archive::Entry {
        name: "MANIFEST.sha256.txt".into(),
        source: archive::Source::Bytes(manifest.into_bytes()),
    });
    let cycle_end = report.cycle.map(|c| c.deadline).unwrap_or_default();
    Ok((
        format!("audit-pack-{}-{}.zip", file_slug(&cred.rule_id), cycle_end),
        entries,
    ))
}

/// The transcript of one credential's current cycle as a PDF.
pub async fn transcript_pdf(
    state: &AppState,
    user: &Account,
    credential_id: i64,
) -> AppResult<(String, Vec<u8>)> {
    let log = log(state, user.id).await?;
    let cred = log
        .credentials
        .iter()
        .find(|c| c.id == credential_id)
        .ok_or_else(|| AppError::NotFound("No such credential.".into()))?;
    let today = state.clock.now().date();
    let r = evaluate_one(&log, cred, today);
    let by_id: std::collections::HashMap<String, &db::Activity> = log
        .activities
        .iter()
        .map(|a| (a.id.to_string(), a))
        .collect();
    let cycle = r.cycle.clone().unwrap_or_default();
    let mut lines = vec![
        format!(
            "{}{}",
            r.name,
            cred.number
                .as_ref()
                .map(|n| format!(" - no. {n}"))
                .unwrap_or_default()
        ),
        format!("Holder: {} <{}>", user.name, user.email),
        format!(
            "Cycle: {} to {}, deadline {}",
            cycle.start, cycle.end, cycle.deadline
        ),
        format!(
            "Status on {today}: {} - {} of {} hours counted",
            r.status_label, r.counted_hours, r.required_hours
        ),
        String::new(),
        "Requirements".into(),
    ];
    for q in &r.requirements {
        lines.push(format!("  {}: {} of {}", q.label, q.counted, q.required));
    }
    if !r.deficits.is_empty() {
        lines.push(String::new());
        lines.push("Still needed".into());
        for d in &r.deficits {
            lines.push(format!("  - {}", d.detail));
        }
    }
    lines.push(String::new());
    lines.push("Hours counted".into());
    for a in &r.allocations {
        let act = by_id.get(&a.activity);
        let approvals: BTreeMap<String, String> = act
            .map(|x| serde_json::from_str(&x.approvals).unwrap_or_default())
            .unwrap_or_default();
        lines.push(format!(
            "  {}  {} ({}): {} h {} -> {}{}",
            act.map(|x| x.completed_on.to_string()).unwrap_or_default(),
            a.activity_title,
            act.map(|x| x.provider.as_str()).unwrap_or(""),
            a.hours,
            a.topic,
            a.counts_for.join(", "),
            if approvals.is_empty() {
                String::new()
            } else {
                format!(
                    "; approvals: {}",
                    approvals
                        .iter()
                        .map(|(k, v)| format!("{} {v}", scheme_label(k)).trim_end().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
    }
    if !r.excluded.is_empty() {
        lines.push(String::new());
        lines.push("Hours not counted".into());
        for x in &r.excluded {
            lines.push(format!(
                "  {}: {} h - {}",
                x.activity_title, x.hours, x.reason
            ));
        }
    }
    lines.push(String::new());
    lines.push(format!(
        "Generated by Palpate on {today}. {} Check the board's current rules.",
        r.sourcing
    ));
    let pdf = crate::services::pdf::document("Continuing education transcript", &lines);
    Ok((
        format!(
            "transcript-{}-{}.pdf",
            file_slug(&cred.rule_id),
            cycle.deadline
        ),
        pdf,
    ))
}
