//! What anyone can do: search published profiles, read one, write to its therapist, report it.

use super::*;
use crate::domain::accounts::Email;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap, VecDeque};

/// A search as typed (query string of the page and of the API).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct SearchInput {
    /// A ZIP code, or a city with its state ("Austin, TX").
    pub place: String,
    /// Miles: 5, 10, 25, 50 or 100 (25 if left out).
    pub radius: String,
    /// A technique code from `GET /api/v1/therapists/vocabulary`.
    pub technique: String,
    pub condition: String,
    pub population: String,
    /// "on" or "true": only therapists who accept physician referrals.
    pub referrals: String,
}

/// A verified credential as a profile shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CredentialBadge {
    pub name: String,
    pub issuer: String,
    pub number: String,
    pub verified_on: String,
    /// The verification holds until this date (the credential's expiry, or a year).
    pub verified_through: String,
    /// "CE current for … through …", if the therapist shows it and it is so.
    pub ce_status: Option<String>,
}

/// A published profile, as search results and the profile page show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListingView {
    pub slug: String,
    /// The profile's canonical path.
    pub path: String,
    pub display_name: String,
    pub practice_name: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub state_name: String,
    pub zip: String,
    pub distance_miles: Option<f64>,
    pub distance_label: String,
    pub techniques: Vec<String>,
    pub modalities: Vec<String>,
    pub conditions: Vec<String>,
    pub populations: Vec<String>,
    pub accepts_referrals: bool,
    pub accepts_insurance: bool,
    pub phone: String,
    pub booking_url: String,
    pub statement: String,
    pub credentials: Vec<CredentialBadge>,
}

/// A search's answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResult {
    /// Where distances are measured from, in words ("ZIP code 78701").
    pub origin: String,
    pub radius_miles: u32,
    pub total: usize,
    /// At most [`MAX_RESULTS`], nearest first.
    pub results: Vec<ListingView>,
}

pub const MAX_RESULTS: usize = 50;

fn labels(list: &[(&'static str, &'static str)], codes: &[String]) -> Vec<String> {
    codes
        .iter()
        .filter_map(|c| dir::label(list, c).map(str::to_string))
        .collect()
}

fn listing(
    row: &db::ProfileRow,
    distance: Option<f64>,
    badges: Vec<CredentialBadge>,
) -> ListingView {
    let p = input_of(row);
    ListingView {
        slug: row.slug.clone(),
        path: format!("/therapists/{}", row.slug),
        display_name: row.display_name.clone(),
        practice_name: row.practice_name.clone(),
        street: row.street.clone(),
        city: row.city.clone(),
        state: row.state.clone(),
        state_name: state_name(&row.state),
        zip: row.zip.clone(),
        distance_miles: distance.map(|d| (d * 10.0).round() / 10.0),
        distance_label: distance
            .map(|d| {
                if d < 1.0 {
                    "under a mile away".into()
                } else {
                    format!("{:.0} miles away", d)
                }
            })
            .unwrap_or_default(),
        techniques: labels(TECHNIQUES, &p.techniques),
        modalities: labels(MODALITIES, &p.modalities),
        conditions: labels(CONDITIONS, &p.conditions),
        populations: labels(POPULATIONS, &p.populations),
        accepts_referrals: row.accepts_referrals,
        accepts_insurance: row.accepts_insurance,
        phone: row.phone.clone(),
        booking_url: row.booking_url.clone(),
        statement: row.statement.clone(),
        credentials: badges,
    }
}

/// The verified credentials in force of these profiles, with their CE standing where the
/// therapist shows it (evaluated now, from their log, which is never shown).
fn badges(
    c: &mut crate::store::DbConn,
    rows: &[&db::ProfileRow],
    today: Date,
) -> AppResult<HashMap<i64, Vec<CredentialBadge>>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
    let mut by_user: HashMap<i64, Vec<db::VerificationRow>> = HashMap::new();
    for v in db::in_force_for(c, &ids, today)? {
        by_user.entry(v.user_id).or_default().push(v);
    }
    let rules = crate::domain::ce::builtin().ok();
    let mut out = HashMap::new();
    for row in rows {
        let Some(vs) = by_user.get(&row.user_id) else {
            continue;
        };
        let log = crate::services::ce::Log {
            profile: crate::store::ce::profile(c, row.user_id)?,
            credentials: crate::store::ce::credentials_of(c, row.user_id)?,
            activities: if row.show_ce {
                crate::store::ce::activities_of(c, row.user_id)?
            } else {
                Vec::new()
            },
            items: if row.show_ce {
                crate::store::ce::items_of(c, row.user_id)?
            } else {
                Vec::new()
            },
            course_certificates: HashMap::new(),
        };
        let mut shown = BTreeSet::new();
        let mut list = Vec::new();
        for v in vs {
            // One badge per credential (the latest verification), and only while it is held.
            let Some(cred) = log.credentials.iter().find(|k| k.id == v.credential_id) else {
                continue;
            };
            if !shown.insert(cred.id) {
                continue;
            }
            let ce_status = row.show_ce.then(|| {
                let r = crate::services::ce::evaluate_one(&log, cred, today);
                // Met through another credential: said publicly only when that one is verified too.
                if let Some(other) = &r.met_by_rule {
                    let other_verified = vs.iter().any(|w| {
                        log.credentials.iter().any(|k| {
                            k.id == w.credential_id
                                && rules.and_then(|s| s.resolve(&k.rule_id)) == Some(other.as_str())
                        })
                    });
                    if !other_verified {
                        return None;
                    }
                }
                match (r.status.as_str(), r.deadline) {
                    ("compliant" | "exempt", Some(d)) => {
                        Some(format!("CE current for {} through {d}", r.name))
                    }
                    _ => None,
                }
            });
            list.push(CredentialBadge {
                name: crate::services::ce::credential_name(&cred.rule_id),
                issuer: rules
                    .and_then(|s| s.current(&cred.rule_id).map(|r| r.issuer.clone()))
                    .unwrap_or_default(),
                number: cred.number.clone().unwrap_or_default(),
                verified_on: v.decided_at.map(date_of).unwrap_or_default(),
                verified_through: v.expires_on.map(|d| d.to_string()).unwrap_or_default(),
                ce_status: ce_status.flatten(),
            });
        }
        out.insert(row.user_id, list);
    }
    Ok(out)
}

fn radius_of(raw: &str) -> u32 {
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|r| dir::RADII.contains(r))
        .unwrap_or(dir::DEFAULT_RADIUS)
}

fn code_or_none(raw: &str, list: &[(&'static str, &'static str)]) -> Option<String> {
    let t = raw.trim();
    dir::label(list, t).map(|_| t.to_string())
}

/// Splits "Austin, TX" / "Austin TX" into a city and an optional state code.
fn city_and_state(place: &str) -> (String, Option<String>) {
    let t = place.trim();
    let (city, st) = match t.rsplit_once(',') {
        Some((a, b)) => (a.trim(), Some(b.trim())),
        None => match t.rsplit_once(' ') {
            Some((a, b))
                if b.len() == 2
                    && US_JURISDICTIONS
                        .iter()
                        .any(|(c, _)| c.eq_ignore_ascii_case(b)) =>
            {
                (a.trim(), Some(b))
            }
            _ => (t, None),
        },
    };
    let st = st.and_then(|s| {
        US_JURISDICTIONS
            .iter()
            .find(|(c, n)| {
                c.eq_ignore_ascii_case(s) || n.trim_start_matches("the ").eq_ignore_ascii_case(s)
            })
            .map(|(c, _)| c.to_string())
    });
    (city.to_string(), st)
}

/// Searches published profiles. A ZIP code is placed from the Census table; a city is placed at
/// the middle of the published profiles in it (the Census table has no city names), so a city
/// with no therapist of its own asks for a ZIP code instead.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(state: &AppState, input: SearchInput) -> AppResult<SearchResult> {
    let radius = radius_of(&input.radius);
    let mut q = dir::Query {
        radius_miles: radius as f64,
        technique: code_or_none(&input.technique, TECHNIQUES),
        condition: code_or_none(&input.condition, CONDITIONS),
        population: code_or_none(&input.population, POPULATIONS),
        accepts_referrals: truthy(&input.referrals),
        origin: None,
    };
    let place = input.place.trim().to_string();
    if place.chars().count() > 80 {
        return Err(AppError::invalid(
            "place",
            "Enter a ZIP code or a city and state.",
        ));
    }
    let mut origin_label = String::new();
    let mut city_filter: Option<(String, Option<String>)> = None;
    if !place.is_empty() {
        if let Some(zip) = dir::normalize_zip(&place) {
            let Some(p) = dir::zip_centroid(&zip) else {
                return Err(AppError::invalid(
                    "place",
                    format!(
                        "We could not place ZIP code {zip}. Try a nearby ZIP code or your city and state."
                    ),
                ));
            };
            q.origin = Some(p);
            origin_label = format!("ZIP code {zip}");
        } else if place.chars().any(|c| c.is_ascii_digit()) {
            return Err(AppError::invalid(
                "place",
                "Enter a five-digit ZIP code, or a city and state such as Austin, TX.",
            ));
        } else {
            city_filter = Some(city_and_state(&place));
        }
    }
    let today = state.clock.now().date();
    state
        .db(move |c| {
            if let Some((city, st)) = &city_filter {
                let all = db::public_in_box(c, None)?;
                let here: Vec<&db::ProfileRow> = all
                    .iter()
                    .filter(|r| r.city.eq_ignore_ascii_case(city))
                    .filter(|r| st.as_ref().is_none_or(|s| &r.state == s))
                    .collect();
                let states: BTreeSet<&str> = here.iter().map(|r| r.state.as_str()).collect();
                if here.is_empty() {
                    return Err(AppError::invalid(
                        "place",
                        format!("We have no therapist listed in {city} yet. Enter a ZIP code to search around it."),
                    ));
                }
                if states.len() > 1 {
                    return Err(AppError::invalid(
                        "place",
                        format!("There is a {city} in more than one state. Add the state, such as {city}, {}.", states.iter().next().unwrap_or(&"TX")),
                    ));
                }
                let n = here.len() as f64;
                q.origin = Some(dir::Point {
                    lat: here.iter().map(|r| r.latitude).sum::<f64>() / n,
                    lng: here.iter().map(|r| r.longitude).sum::<f64>() / n,
                });
                origin_label = format!("{}, {}", here[0].city, here[0].state);
            }
            let rows = db::public_in_box(c, q.origin.map(|o| dir::bounding_box(o, q.radius_miles)))?;
            let listings: Vec<dir::Listing> = rows
                .iter()
                .map(|r| {
                    let p = input_of(r);
                    dir::Listing {
                        id: r.user_id,
                        point: dir::Point { lat: r.latitude, lng: r.longitude },
                        techniques: p.techniques.into_iter().collect(),
                        conditions: p.conditions.into_iter().collect(),
                        populations: p.populations.into_iter().collect(),
                        accepts_referrals: r.accepts_referrals,
                    }
                })
                .collect();
            let hits = dir::search(&listings, &q);
            let total = hits.len();
            let by_id: HashMap<i64, &db::ProfileRow> = rows.iter().map(|r| (r.user_id, r)).collect();
            let page: Vec<(&db::ProfileRow, Option<f64>)> = hits
                .iter()
                .take(MAX_RESULTS)
                .filter_map(|(id, d)| by_id.get(id).map(|r| (*r, *d)))
                .collect();
            let refs: Vec<&db::ProfileRow> = page.iter().map(|(r, _)| *r).collect();
            let mut badges = badges(c, &refs, today)?;
            Ok(SearchResult {
                origin: origin_label,
                radius_miles: radius,
                total,
                results: page
                    .into_iter()
                    .map(|(r, d)| listing(r, d, badges.remove(&r.user_id).unwrap_or_default()))
                    .collect(),
            })
        })
        .await
}

/// A published profile by its address.
pub async fn profile(state: &AppState, slug: String) -> AppResult<ListingView> {
    let today = state.clock.now().date();
    state
        .db(move |c| {
            let Some(row) = db::public_by_slug(c, &slug)? else {
                return Err(AppError::NotFound(
                    "There is no published profile at this address. The therapist may have hidden it.".into(),
                ));
            };
            let mut b = badges(c, &[&row], today)?;
            Ok(listing(&row, None, b.remove(&row.user_id).unwrap_or_default()))
        })
        .await
}

// ---------- messages ----------

/// A message to a therapist from their profile page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactInput {
    pub name: String,
    pub email: String,
    pub message: String,
    /// "on": a clinician referring a patient.
    pub referral: String,
    /// Left empty by people; filled in by form-filling robots (hidden from people and screen
    /// readers).
    pub website: String,
}

pub const MAX_MESSAGE: usize = 2000;

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactOutcome {
    Sent,
    /// The same message to the same therapist was sent in the last day: not sent again.
    AlreadySent,
    /// The honeypot was filled in: answered as sent, nothing sent.
    Dropped,
}

fn check_contact(input: &ContactInput) -> Result<(String, Email, String), FieldErrors> {
    let mut e = FieldErrors::default();
    let name = no_control(&input.name).replace('\n', " ");
    if name.is_empty() {
        e.add("name", "Enter your name.");
    }
    too_long(&mut e, "name", &name, 100, "name");
    let email = Email::parse(input.email.trim());
    if email.is_err() {
        e.add(
            "email",
            "Enter your e-mail address, such as name@example.com, so the therapist can reply.",
        );
    }
    let message = no_control(&input.message.replace("\r\n", "\n"));
    if message.chars().count() < 10 {
        e.add("message", "Write a message of at least a few words.");
    }
    too_long(&mut e, "message", &message, MAX_MESSAGE, "message");
    match email {
        Ok(em) if e.is_empty() => Ok((name, em, message)),
        _ => Err(e),
    }
}

fn limited(
    c: &mut crate::store::DbConn,
    action: &str,
    key: &str,
    since: PrimitiveDateTime,
    max: i64,
) -> AppResult<bool> {
    Ok(crate::store::attempts::count_since(c, action, key, since, false)? >= max)
}

/// Sends a message to the therapist of a published profile through the outbox. Their address is
/// never shown; the sender's is put in the message so the therapist can reply.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn contact(
    state: &AppState,
    slug: String,
    input: ContactInput,
    ip: String,
) -> AppResult<ContactOutcome> {
    let honeypot = !input.website.trim().is_empty();
    let checked = if honeypot {
        None
    } else {
        Some(check_contact(&input).map_err(AppError::Fields)?)
    };
    let referral = truthy(&input.referral);
    let st = state.clone();
    let outcome = state
        .tx(move |c| {
            let Some(row) = db::public_by_slug(c, &slug)? else {
                return Err(AppError::NotFound("There is no published profile at this address.".into()));
            };
            let now = st.clock.now();
            let l = &st.settings.rate_limits;
            let since = now - time::Duration::minutes(l.window_minutes);
            let (ip_key, profile_key) = (format!("ip:{ip}"), format!("profile:{}", row.user_id));
            if limited(c, "contact", &ip_key, since, l.contact_per_ip)? {
                return Err(AppError::RateLimited(format!(
                    "Too many messages from your network. Please try again in {} minutes.",
                    l.window_minutes
                )));
            }
            if limited(c, "contact", &profile_key, now - time::Duration::days(1), l.contact_per_profile)? {
                return Err(AppError::RateLimited(
                    "This therapist has received many messages today. Please try again tomorrow, or call them if their profile lists a phone number.".into(),
                ));
            }
            crate::store::attempts::record(c, "contact", &ip_key, true, now)?;
            let Some((name, email, message)) = &checked else {
                return Ok(ContactOutcome::Dropped);
            };
            let digest = hex::encode(Sha256::digest(format!(
                "{}\n{}\n{}",
                row.user_id,
                email.as_str().to_lowercase(),
                message
            )));
            if db::contact_sent_since(c, &digest, now - time::Duration::days(1))? {
                return Ok(ContactOutcome::AlreadySent);
            }
            crate::store::attempts::record(c, "contact", &profile_key, true, now)?;
            db::add_contact(
                c,
                &db::NewContact {
                    profile_user_id: row.user_id,
                    sender_name: name,
                    sender_email: email.as_str(),
                    message,
                    is_referral: referral,
                    digest: &digest,
                    created_at: now,
                },
            )?;
            let to = db::owner_email(c, row.user_id)?;
            let (text, html) = st
                .views
                .email(
                    "directory_contact",
                    &serde_json::json!({
                        "therapist": row.display_name, "sender": name, "email": email.as_str(),
                        "message": message, "referral": referral,
                        "manage": st.url("/directory"),
                    }),
                )
                .map_err(AppError::internal)?;
            let subject = if referral {
                format!("Referral from {name} through your Palpate profile")
            } else {
                format!("Message from {name} through your Palpate profile")
            };
            // Reply reaches the sender; the therapist's address stays unknown to them until then.
            crate::store::outbox::enqueue_on_behalf(
                c,
                &to,
                Some(email.as_str()),
                &subject,
                &text,
                &html,
                now,
            )?;
            Ok(ContactOutcome::Sent)
        })
        .await?;
    if outcome == ContactOutcome::Sent {
        state.outbox_wake.notify_one();
    }
    Ok(outcome)
}

// ---------- reports ----------

/// Why someone reports a profile (code, label).
pub const REPORT_REASONS: &[(&str, &str)] = &[
    ("inaccurate", "The information is wrong or out of date"),
    ("not_therapist", "This person is not a massage therapist"),
    ("inappropriate", "The profile is offensive or inappropriate"),
    ("spam", "It is spam or advertising"),
    ("other", "Something else"),
];

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportInput {
    pub reason: String,
    pub details: String,
    pub website: String,
}

/// Files a report about a published profile for an administrator.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn report(
    state: &AppState,
    slug: String,
    input: ReportInput,
    ip: String,
) -> AppResult<()> {
    let mut e = FieldErrors::default();
    if dir::label(REPORT_REASONS, input.reason.trim()).is_none() {
        e.add("reason", "Choose what is wrong.");
    }
    let details = no_control(&input.details.replace("\r\n", "\n"));
    too_long(&mut e, "details", &details, 1000, "details");
    if input.reason.trim() == "other" && details.is_empty() {
        e.add("details", "Tell us what is wrong.");
    }
    e.into_result()?;
    let honeypot = !input.website.trim().is_empty();
    let st = state.clone();
    state
        .tx(move |c| {
            let Some(row) = db::public_by_slug(c, &slug)? else {
                return Err(AppError::NotFound(
                    "There is no published profile at this address.".into(),
                ));
            };
            let now = st.clock.now();
            let l = &st.settings.rate_limits;
            let key = format!("ip:{ip}");
            if limited(
                c,
                "directory_report",
                &key,
                now - time::Duration::minutes(l.window_minutes),
                l.contact_per_ip,
            )? {
                return Err(AppError::RateLimited(format!(
                    "Too many reports from your network. Please try again in {} minutes.",
                    l.window_minutes
                )));
            }
            crate::store::attempts::record(c, "directory_report", &key, true, now)?;
            if !honeypot {
                db::add_report(c, row.user_id, input.reason.trim(), &details, now)?;
                let reason = dir::label(REPORT_REASONS, input.reason.trim()).unwrap_or_default();
                crate::services::notify_admins(
                    &st,
                    c,
                    "A directory profile was reported",
                    &format!("Someone reported the directory profile of {} ({reason}). The report waits in the moderation queue.", row.display_name),
                    "/admin/directory",
                )?;
            }
            Ok(())
        })
        .await?;
    state.outbox_wake.notify_one();
    Ok(())
}

// ---------- the public API's own limit ----------

/// Searches allowed per address per minute on the public API and pages: counted in memory
/// (a read must not write), per instance.
pub struct SearchLimiter {
    per_minute: usize,
    seen: std::sync::Mutex<HashMap<String, VecDeque<PrimitiveDateTime>>>,
}

impl SearchLimiter {
    pub fn new(per_minute: usize) -> SearchLimiter {
        SearchLimiter {
            per_minute,
            seen: Default::default(),
        }
    }

    /// Counts one search from `ip` at `now`; false when the address is over its limit.
    pub fn allow(&self, ip: &str, now: PrimitiveDateTime) -> bool {
        let since = now - time::Duration::minutes(1);
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.len() > 10_000 {
            seen.retain(|_, q| q.back().is_some_and(|t| *t > since));
        }
        let q = seen.entry(ip.to_string()).or_default();
        while q.front().is_some_and(|t| *t <= since) {
            q.pop_front();
        }
        if q.len() >= self.per_minute {
            return false;
        }
        q.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_search_limit_counts_a_sliding_minute_per_address() {
        let l = SearchLimiter::new(3);
        let t = datetime!(2026-12-06 12:00:00);
        assert!(l.allow("a", t) && l.allow("a", t) && l.allow("a", t));
        assert!(!l.allow("a", t + time::Duration::seconds(30)));
        assert!(l.allow("b", t), "another address has its own count");
        assert!(l.allow("a", t + time::Duration::seconds(61)));
    }

    #[test]
    fn a_city_may_carry_its_state() {
        assert_eq!(
            city_and_state("Austin, TX"),
            ("Austin".into(), Some("TX".into()))
        );
        assert_eq!(
            city_and_state("Austin tx"),
            ("Austin".into(), Some("TX".into()))
        );
        assert_eq!(
            city_and_state("Salt Lake City, Utah"),
            ("Salt Lake City".into(), Some("UT".into()))
        );
        assert_eq!(city_and_state("Springfield"), ("Springfield".into(), None));
    }

    #[test]
    fn messages_need_a_name_an_address_and_words() {
        let bad = check_contact(&ContactInput {
            message: "hi".into(),
            email: "nope".into(),
            ..Default::default()
        })
        .unwrap_err();
        for f in ["name", "email", "message"] {
            assert!(bad.0.contains_key(f), "{f}");
        }
        let long = ContactInput {
            name: "Dr. Lee".into(),
            email: "lee@clinic.example".into(),
            message: "x".repeat(MAX_MESSAGE + 1),
            ..Default::default()
        };
        assert!(check_contact(&long).unwrap_err().0.contains_key("message"));
    }
}
