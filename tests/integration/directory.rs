//! The therapist directory: profiles are private until published and hidden at once; search by
//! ZIP code or city returns the right therapists nearest first; only verified credentials (and
//! the CE standing the therapist chose to show) ever appear; messages reach the therapist once,
//! through the outbox, without showing their address; reports reach an administrator.

use crate::db_tests;
use crate::helpers::{Client, Page, TestApp, upload_to};
use palpate::domain::accounts::Role;

/// A profile form: name, city, ZIP, techniques, and extra fields.
pub(crate) fn profile<'a>(
    name: &'a str,
    city: &'a str,
    zip: &'a str,
    techniques: &[&'a str],
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("display_name", name),
        ("city", city),
        ("state", "TX"),
        ("zip", zip),
    ];
    f.extend(techniques.iter().map(|t| ("techniques", *t)));
    f.extend_from_slice(extra);
    f
}

pub(crate) async fn save(c: &Client, form: &[(&str, &str)]) -> Page {
    c.submit("/directory", "/directory", form).await
}

pub(crate) async fn publish(c: &Client) -> Page {
    c.submit("/directory", "/directory/publish", &[]).await
}

/// The first profile address in a page.
pub(crate) fn slug_of(page: &Page) -> String {
    page.body
        .split("/therapists/")
        .skip(1)
        .map(|s| {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        })
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| panic!("no profile address in:\n{}", page.body))
}

/// The display names in a results page, in order.
fn names_in(page: &Page) -> Vec<String> {
    page.body
        .split("<h3><a href=\"/therapists/")
        .skip(1)
        .map(|s| {
            s.split('>')
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

async fn profiles_are_private_until_published_and_search_by_place(app: TestApp) {
    let ana = app
        .logged_in("ana@example.com", &[Role::Practitioner])
        .await;
    let anon = app.client();

    // A student cannot have a profile; nobody signed out can open the form.
    let student = app.logged_in("stu@example.com", &[Role::Student]).await;
    assert_eq!(student.get("/directory").await.status(), 403);
    assert_eq!(anon.get("/directory").await.status(), 303);

    // Bad input: errors next to their fields, everything typed kept.
    let r = save(
        &ana,
        &profile(
            "Ana Ruiz",
            "Austin",
            "00000",
            &[],
            &[
                ("modalities", "cupping"),
                ("phone", "12"),
                ("practice_name", "Ruiz Bodywork"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"zip-error\">We could not place ZIP code 00000.");
    r.assert_contains("id=\"techniques-error\">Choose at least one technique");
    r.assert_contains("id=\"modalities-error\">Cupping cannot be listed in Texas");
    r.assert_contains("id=\"phone-error\">");
    r.assert_contains("value=\"Ruiz Bodywork\"");
    // Texas names no modality beyond heat and cold, so only that one is offered.
    r.assert_contains("> Heat and cold applications</label>");
    assert!(!r.body.contains("> Cupping</label>"));

    // Saved, but not public until published.
    let r = save(
        &ana,
        &profile(
            "Ana Ruiz",
            "Austin",
            "78701",
            &["trigger_point", "swedish"],
            &[
                ("accepts_referrals", "on"),
                ("modalities", "heat_cold"),
                ("conditions", "low_back_pain"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = ana.get("/directory").await;
    page.assert_contains("not published");
    let ana_slug = slug_of(&page);
    assert_eq!(ana_slug, "ana-ruiz-austin-tx");
    assert_eq!(
        anon.get(&format!("/therapists/{ana_slug}")).await.status(),
        404
    );
    assert!(names_in(&anon.get("/therapists?place=78701").await).is_empty());

    assert_eq!(publish(&ana).await.status(), 303);
    let p = anon.get(&format!("/therapists/{ana_slug}")).await;
    assert_eq!(p.status(), 200);
    p.assert_contains(
        "<link rel=\"canonical\" href=\"http://palpate.test/therapists/ana-ruiz-austin-tx\">",
    );
    p.assert_contains("Trigger point therapy");
    p.assert_contains("Low back pain");
    assert!(
        !p.body.contains("ana@example.com"),
        "the therapist's address is never shown"
    );

    // Two more therapists: Round Rock (about 17 miles north) and Houston (about 145 miles east).
    let ben = app
        .logged_in("ben@example.com", &[Role::Practitioner])
        .await;
    save(
        &ben,
        &profile("Ben Okafor", "Round Rock", "78664", &["swedish"], &[]),
    )
    .await;
    publish(&ben).await;
    let cy = app.logged_in("cy@example.com", &[Role::Practitioner]).await;
    save(
        &cy,
        &profile(
            "Cy Tran",
            "Houston",
            "77002",
            &["trigger_point"],
            &[("accepts_referrals", "on")],
        ),
    )
    .await;
    publish(&cy).await;

    // Nearest first, inside the radius only.
    let r = anon.get("/therapists?place=78701&radius=25").await;
    assert_eq!(names_in(&r), vec!["Ana Ruiz", "Ben Okafor"]);
    r.assert_contains("2 therapists within 25 miles of ZIP code 78701");
    let r = anon.get("/therapists?place=78664&radius=25").await;
    assert_eq!(
        names_in(&r),
        vec!["Ben Okafor", "Ana Ruiz"],
        "from Round Rock, Ben is nearer"
    );
    let r = anon.get("/therapists?place=77002&radius=100").await;
    assert_eq!(names_in(&r), vec!["Cy Tran"]);
    let r = anon.get("/therapists?place=77002&radius=5").await;
    assert_eq!(names_in(&r), vec!["Cy Tran"]);
    // An unknown radius falls back to 25 miles.
    assert_eq!(
        names_in(&anon.get("/therapists?place=78701&radius=9999").await).len(),
        2
    );

    // By need.
    let r = anon
        .get("/therapists?place=78664&radius=25&technique=trigger_point")
        .await;
    assert_eq!(names_in(&r), vec!["Ana Ruiz"]);
    let r = anon
        .get("/therapists?place=78701&radius=25&referrals=on")
        .await;
    assert_eq!(names_in(&r), vec!["Ana Ruiz"]);
    let r = anon
        .get("/therapists?place=78701&radius=25&condition=sciatica")
        .await;
    assert!(names_in(&r).is_empty());
    r.assert_contains("No listed therapist matches within 25 miles");

    // By city: placed at the listed therapists there.
    let r = anon
        .get("/therapists?place=Round+Rock%2C+TX&radius=25")
        .await;
    assert_eq!(names_in(&r), vec!["Ben Okafor", "Ana Ruiz"]);
    let r = anon.get("/therapists?place=Nowhere+Town%2C+TX").await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"place-error\">We have no therapist listed in Nowhere Town yet.");
    r.assert_contains("value=\"Nowhere Town, TX\"");
    let r = anon.get("/therapists?place=1234").await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"place-error\">Enter a five-digit ZIP code");

    // The same through the public API, no token needed.
    let api: serde_json::Value = reqwest::get(format!(
        "{}/api/v1/therapists?place=78664&radius=25",
        app.addr
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let got: Vec<&str> = api["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec!["Ben Okafor", "Ana Ruiz"]);
    let d = api["results"][1]["distance_miles"].as_f64().unwrap();
    assert!((14.0..20.0).contains(&d), "Austin to Round Rock: {d} miles");
    let r = reqwest::get(format!("{}/api/v1/therapists?place=00000", app.addr))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Hiding takes effect at once: the page, the search and the API.
    assert_eq!(
        ana.submit("/directory", "/directory/hide", &[])
            .await
            .status(),
        303
    );
    assert_eq!(
        anon.get(&format!("/therapists/{ana_slug}")).await.status(),
        404
    );
    assert_eq!(
        names_in(&anon.get("/therapists?place=78701&radius=25").await),
        vec!["Ben Okafor"]
    );
    let r = reqwest::get(format!("{}/api/v1/therapists/{ana_slug}", app.addr))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // A deactivated account's profile is removed.
    let admin = app.logged_in("admin@example.com", &[Role::Admin]).await;
    let ben_id = app.user_id("ben@example.com").await;
    let r = admin
        .submit(
            &format!("/admin/users/{ben_id}/deactivate"),
            &format!("/admin/users/{ben_id}/deactivate"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(names_in(&anon.get("/therapists?place=78701&radius=25").await).is_empty());
    assert_eq!(
        anon.get("/therapists/ben-okafor-round-rock-tx")
            .await
            .status(),
        404
    );
}

/// Sends a document for the credential `cred` from the directory page.
pub(crate) async fn send_document(c: &Client, cred: &str, name: &str, bytes: &[u8]) -> Page {
    upload_to(
        c,
        "/directory",
        "/directory/verifications",
        &[("credential", cred)],
        Some(("document", name, bytes.to_vec())),
    )
    .await
}

/// The id of the first request in the administrators' queue (its document link comes first).
pub(crate) fn first_request(queue: &Page) -> String {
    queue
        .body
        .split("/admin/directory/verifications/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

pub(crate) async fn verify(admin: &Client, vid: &str, checked: &str) -> Page {
    admin
        .submit(
            "/admin/directory",
            &format!("/admin/directory/verifications/{vid}"),
            &[("decision", "verify"), ("checked_against", checked)],
        )
        .await
}

pub(crate) const PDF: &[u8] = b"%PDF-1.4 licence scan";

async fn messages_reach_the_therapist_once_and_reports_reach_an_administrator(app: TestApp) {
    let ana = app
        .logged_in("ana@example.com", &[Role::Practitioner])
        .await;
    let admin = app.logged_in("admin@example.com", &[Role::Admin]).await;
    save(
        &ana,
        &profile("Ana Ruiz", "Austin", "78701", &["swedish"], &[]),
    )
    .await;
    publish(&ana).await;
    let page = "/therapists/ana-ruiz-austin-tx";
    let action = "/therapists/ana-ruiz-austin-tx/contact";
    let anon = app.client();

    // Bad input: errors next to the fields, what was written kept, nothing sent.
    let r = anon
        .submit(
            page,
            action,
            &[
                ("name", ""),
                ("email", "not-an-address"),
                ("message", "Do you treat sciatica?"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"name-error\">Enter your name.");
    r.assert_contains("id=\"email-error\">");
    r.assert_contains("Do you treat sciatica?</textarea>");

    let msg = [
        ("name", "Dr. Maya Lee"),
        ("email", "maya@clinic.example"),
        ("message", "Referring a patient with chronic low back pain."),
        ("referral", "on"),
    ];
    let r = anon.submit(page, action, &msg).await;
    assert_eq!(r.status(), 303);
    anon.get(page)
        .await
        .assert_contains("Your message was sent.");
    let mails = app.wait_for_mail(1).await;
    assert_eq!(mails[0].to, "ana@example.com");
    // Reply goes to the sender, not to Palpate's no-reply address.
    assert!(
        mails[0].raw.contains("Reply-To: maya@clinic.example"),
        "{}",
        mails[0].raw
    );
    assert!(
        mails[0].subject.starts_with("Referral from Dr. Maya Lee"),
        "{}",
        mails[0].subject
    );
    assert!(
        mails[0].text.contains("maya@clinic.example")
            && mails[0].text.contains("chronic low back pain")
    );

    // The same message again is not sent again; a robot filling the hidden field sends nothing.
    let r = anon.submit(page, action, &msg).await;
    assert_eq!(r.status(), 303);
    anon.get(page)
        .await
        .assert_contains("already sent this message");
    let robot = [
        ("name", "Bot"),
        ("email", "bot@spam.example"),
        ("message", "Cheap watches for everyone"),
        ("website", "http://spam.example"),
    ];
    assert_eq!(
        app.client().submit(page, action, &robot).await.status(),
        303
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(app.mail.messages().len(), 1, "one message went out");

    // Per-address limit: five messages in the window (all test clients share 127.0.0.1, and the
    // three above counted), then refused, with the words of the refusal.
    let sender = app.client();
    for i in 0..3 {
        let m = format!("Question number {i} about your hours");
        let r = sender
            .submit(
                page,
                action,
                &[
                    ("name", "Sam"),
                    ("email", "sam@example.com"),
                    ("message", &m),
                ],
            )
            .await;
        if i < 2 {
            assert_eq!(r.status(), 303, "message {i}");
        } else {
            assert_eq!(r.status(), 429, "message {i}");
            r.assert_contains("Too many messages from your network");
        }
    }
    assert_eq!(app.wait_for_mail(3).await.len(), 3);

    // Reports go to the administrators' queue; hiding there keeps the therapist from publishing.
    let reporter = app.client();
    let r = reporter
        .submit(
            &format!("{page}/report"),
            &format!("{page}/report"),
            &[("reason", "other")],
        )
        .await;
    assert_eq!(r.status(), 422);
    r.assert_contains("id=\"details-error\">Tell us what is wrong.");
    let r = reporter
        .submit(
            &format!("{page}/report"),
            &format!("{page}/report"),
            &[
                ("reason", "not_therapist"),
                ("details", "Not licensed in Texas"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    // The administrators hear of it by e-mail, with the reason in words and the queue's address.
    let alert = app
        .wait_for_message("admin@example.com", "A directory profile was reported")
        .await;
    assert!(
        alert.text.contains("Ana Ruiz")
            && alert
                .text
                .contains("This person is not a massage therapist")
            && alert.text.contains("/admin/directory"),
        "{}",
        alert.text
    );
    let q = admin.get("/admin/directory").await;
    q.assert_contains("This person is not a massage therapist");
    q.assert_contains("Not licensed in Texas");
    let rid = q
        .body
        .split("/admin/directory/reports/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let confirm = admin
        .get(&format!("/admin/directory/reports/{rid}/hide"))
        .await;
    // The confirmation names whose profile it hides.
    confirm.assert_contains("Hide the profile of Ana Ruiz");
    let r = admin
        .submit(
            "/admin/directory",
            &format!("/admin/directory/reports/{rid}"),
            &[("action", "hide")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.client().get(page).await.status(), 404);
    // The therapist is told by e-mail, not only on their page.
    let mut told = None;
    for _ in 0..100 {
        told = app.mail.messages().into_iter().find(|m| {
            m.to == "ana@example.com" && m.subject == "Your directory profile was hidden"
        });
        if told.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let told = told.expect("a notice to the therapist");
    assert!(told.text.contains("hidden after a report"), "{}", told.text);
    publish(&ana).await;
    let mine = ana.get("/directory").await;
    mine.assert_contains("An administrator has hidden your profile");
    assert_eq!(app.client().get(page).await.status(), 404);
    let uid = app.user_id("ana@example.com").await;
    let r = admin
        .submit(
            "/admin/directory",
            &format!("/admin/directory/hidden/{uid}/restore"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    publish(&ana).await;
    assert_eq!(app.client().get(page).await.status(), 200);
}

db_tests!(
    profiles_are_private_until_published_and_search_by_place,
    messages_reach_the_therapist_once_and_reports_reach_an_administrator,
);
