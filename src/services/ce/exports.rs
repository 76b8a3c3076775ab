//! What leaves Palpate about a person's CE: the transcript (CSV, PDF), the audit pack (a streamed
//! ZIP with the certificates and a hash manifest) and the calendar feed of deadlines.

use super::*;

/// What a transcript shows of one of the person's credentials: the credential, its evaluation
/// today, and the activities by id.
fn transcript_of(
    log: &Log,
    credential_id: i64,
    today: time::Date,
) -> AppResult<(
    &db::Credential,
    CredentialReport,
    std::collections::HashMap<String, &db::Activity>,
)> {
    let cred = log
        .credentials
        .iter()
        .find(|c| c.id == credential_id)
        .ok_or_else(|| AppError::NotFound("No such credential.".into()))?;
    let by_id = log
        .activities
        .iter()
        .map(|a| (a.id.to_string(), a))
        .collect();
    Ok((cred, report_for_export(log, cred, today), by_id))
}

/// The evaluation as exports show it. When the credential cannot be evaluated yet (a birth date
/// missing, an issue date to correct), every logged activity is still listed, with the reason
/// it was not checked.
fn report_for_export(log: &Log, cred: &db::Credential, today: time::Date) -> CredentialReport {
    let mut r = evaluate_one(log, cred, today);
    if let Some(problem) = r.error.clone() {
        r.status_label = "Not checked yet".into();
        r.excluded = log
            .activities
            .iter()
            .map(|a| Excluded {
                activity: a.id.to_string(),
                activity_title: a.title.clone(),
                hours: a.hours,
                reason: format!("Not checked yet. {problem}"),
            })
            .collect();
    }
    r
}

/// The renewal period as a line of an export, or why it is not known.
fn period_of(r: &CredentialReport) -> String {
    match (&r.cycle, &r.error) {
        (Some(c), _) => format!("{} to {} (deadline {})", c.start, c.end, c.deadline),
        (None, Some(problem)) => format!("Not known yet. {problem}"),
        (None, None) => "Not known yet.".into(),
    }
}

/// An export's file name: `kind-credential-deadline.ext`, without the deadline when it is not known.
fn export_name(kind: &str, r: &CredentialReport, rule_id: &str, ext: &str) -> String {
    match &r.cycle {
        Some(c) => format!("{kind}-{}-{}.{ext}", file_slug(rule_id), c.deadline),
        None => format!("{kind}-{}.{ext}", file_slug(rule_id)),
    }
}

use crate::services::spreadsheet_cell as cell;

/// The transcript of one credential's current cycle as CSV: where every hour went, and why any
/// hour did not count.
#[tracing::instrument(level = "debug", skip_all, fields(credential_id = ?credential_id))]
pub async fn transcript_csv(
    state: &AppState,
    user_id: i64,
    credential_id: i64,
) -> AppResult<(String, String)> {
    let log = log(state, user_id).await?;
    let today = state.clock.now().date();
    let (cred, r, by_id) = transcript_of(&log, credential_id, today)?;
    let holder = state
        .db(move |c| Ok(crate::store::accounts::find_user(c, user_id)?))
        .await?
        .map(|u| format!("{} <{}>", u.name, u.email))
        .unwrap_or_default();
    // Every field quoted; rows of different lengths (a header block, then the table).
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .flexible(true)
        .from_writer(vec![]);
    let number = cred.number.clone().unwrap_or_default();
    let period = period_of(&r);
    let counted = format!("{} of {}", r.counted_hours, r.required_hours);
    for (label, value) in [
        ("Credential", r.name.as_str()),
        ("Holder", holder.as_str()),
        ("Number", number.as_str()),
        ("Cycle", period.as_str()),
        ("Status", r.status_label.as_str()),
        ("Hours counted", counted.as_str()),
    ] {
        w.write_record([cell(label), cell(value)])
            .map_err(AppError::internal)?;
    }
    w.write_record([""]).map_err(AppError::internal)?;
    w.write_record([
        "Completed",
        "Course",
        "Provider",
        "Delivery",
        "Approvals",
        "Topic",
        "Hours",
        "Counts toward",
        "Not counted because",
    ])
    .map_err(AppError::internal)?;
    for a in &r.allocations {
        let act = by_id.get(&a.activity);
        let approvals: BTreeMap<String, String> = act
            .map(|x| crate::services::stored("ce_activities.approvals", &x.approvals))
            .transpose()?
            .unwrap_or_default();
        w.write_record([
            cell(&act.map(|x| x.completed_on.to_string()).unwrap_or_default()),
            cell(&a.activity_title),
            cell(act.map(|x| x.provider.as_str()).unwrap_or("")),
            cell(&act.map(|x| delivery_label(&x.delivery)).unwrap_or_default()),
            cell(
                &approvals
                    .iter()
                    .map(|(k, v)| format!("{} {v}", scheme_label(k)).trim_end().to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            cell(&a.topic),
            a.hours.to_string(),
            cell(&a.counts_for.join("; ")),
            String::new(),
        ])
        .map_err(AppError::internal)?;
    }
    for x in &r.excluded {
        let act = by_id.get(&x.activity);
        w.write_record([
            cell(&act.map(|a| a.completed_on.to_string()).unwrap_or_default()),
            cell(&x.activity_title),
            cell(act.map(|a| a.provider.as_str()).unwrap_or("")),
            cell(&act.map(|a| delivery_label(&a.delivery)).unwrap_or_default()),
            String::new(),
            String::new(),
            x.hours.to_string(),
            String::new(),
            cell(&x.reason),
        ])
        .map_err(AppError::internal)?;
    }
    let out = String::from_utf8(w.into_inner().map_err(AppError::internal)?)
        .map_err(AppError::internal)?;
    Ok((export_name("transcript", &r, &cred.rule_id, "csv"), out))
}

/// The secret part of a person's calendar-feed URL (calendar apps cannot log in): derived from
/// the server's key, the person and the salt they last chose by resetting it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn feed_key(state: &AppState, user_id: i64) -> AppResult<String> {
    keyed_feed(state, user_id, b"palpate-ce-calendar|").await
}

/// The secret of one of a person's calendar feeds (`purpose` tells the feeds apart); resetting
/// the person's calendar address changes every one of them.
pub async fn keyed_feed(state: &AppState, user_id: i64, purpose: &[u8]) -> AppResult<String> {
    use hmac::{Hmac, Mac};
    let salt = state
        .db(move |c| Ok(db::calendar_salt(c, user_id)?))
        .await?;
    let key = state.settings.session_key().unwrap_or_default();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(AppError::internal)?;
    mac.update(purpose);
    mac.update(&user_id.to_be_bytes());
    mac.update(b"|");
    mac.update(salt.as_deref().unwrap_or("").as_bytes());
    Ok(hex::encode(&mac.finalize().into_bytes()[..16]))
}

/// Whether `key` opens the person's calendar feed. Addresses given out before the key became an
/// HMAC (a plain SHA-256 of the same parts) keep working until the person resets their address.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn feed_key_matches(state: &AppState, user_id: i64, key: &str) -> AppResult<bool> {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    let current = feed_key(state, user_id).await?;
    if bool::from(current.as_bytes().ct_eq(key.as_bytes())) {
        return Ok(true);
    }
    let salt = state
        .db(move |c| Ok(db::calendar_salt(c, user_id)?))
        .await?;
    let mut h = Sha256::new();
    h.update(state.settings.session_key().unwrap_or_default());
    h.update(b"palpate-ce-calendar");
    h.update(user_id.to_be_bytes());
    if let Some(salt) = salt {
        h.update(b"|");
        h.update(salt.as_bytes());
    }
    let legacy = hex::encode(&h.finalize()[..16]);
    Ok(bool::from(legacy.as_bytes().ct_eq(key.as_bytes())))
}

/// Replaces the person's calendar-feed address; the old one stops working at once.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reset_feed_key(state: &AppState, user_id: i64) -> AppResult<()> {
    let salt = crate::domain::accounts::random_hex(16);
    let clock = state.clock.clone();
    state
        .tx(move |c| Ok(db::set_calendar_salt(c, user_id, &salt, clock.now())?))
        .await
}

/// An iCalendar feed with every credential's renewal deadline (an all-day event with a reminder
/// 30 days before), written by the `icalendar` crate: escaping and 75-octet line folding included.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn calendar(state: &AppState, user_id: i64) -> AppResult<String> {
    use icalendar::{Alarm, Calendar, Component, Event, EventLike, Trigger};
    let reports = evaluate(state, user_id).await?;
    let now = state.clock.now().assume_utc();
    let stamp = chrono::DateTime::<chrono::Utc>::from_timestamp(now.unix_timestamp(), 0)
        .unwrap_or_default();
    let mut cal = Calendar::new();
    cal.name("Palpate renewal deadlines");
    for r in reports {
        let Some(c) = &r.cycle else { continue };
        let Ok(day) = chrono::NaiveDate::parse_from_str(&c.deadline, "%Y-%m-%d") else {
            continue;
        };
        let name = if r.name.is_empty() {
            "Your credential"
        } else {
            r.name.as_str()
        };
        let mut desc = r.status_label.clone();
        for d in &r.deficits {
            desc.push_str(&format!("\n- {}", d.detail));
        }
        let event = Event::new()
            .uid(&format!(
                "palpate-ce-{}-{}@palpate",
                r.credential_id,
                c.deadline.replace('-', "")
            ))
            .timestamp(stamp)
            .all_day(day)
            .summary(&format!("{name} renewal deadline"))
            .description(&desc)
            .alarm(Alarm::display(
                "CE renewal deadline in 30 days",
                Trigger::before_start(chrono::Duration::days(30)),
            ))
            .done();
        cal.push(event);
    }
    Ok(cal.done().to_string())
}

/// The audit pack of one credential's cycle: the transcript, every certificate of the activities it
/// lists, and a SHA-256 manifest of the files.
#[tracing::instrument(level = "debug", skip_all, fields(credential_id = ?credential_id))]
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
    let report = report_for_export(&log, cred, state.clock.now().date());
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
    Ok((
        export_name("audit-pack", &report, &cred.rule_id, "zip"),
        entries,
    ))
}

/// The transcript of one credential's current cycle as a PDF.
#[tracing::instrument(level = "debug", skip_all, fields(credential_id = ?credential_id))]
pub async fn transcript_pdf(
    state: &AppState,
    user: &Account,
    credential_id: i64,
) -> AppResult<(String, Vec<u8>)> {
    let log = log(state, user.id).await?;
    let today = state.clock.now().date();
    let (cred, r, by_id) = transcript_of(&log, credential_id, today)?;
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
        format!("Cycle: {}", period_of(&r)),
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
            .map(|x| crate::services::stored("ce_activities.approvals", &x.approvals))
            .transpose()?
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
    Ok((export_name("transcript", &r, &cred.rule_id, "pdf"), pdf))
}
