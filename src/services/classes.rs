//! Classes: an instructor creates one, students join with its invite code (and may leave),
//! instructors co-teach, assign practice with open and due dates, and follow a gradebook.
//!
//! Privacy: a teacher of a class sees only its current members, and of each only what they did
//! since joining. A student who leaves stops being visible; a student sees only their own row.

use super::AppState;
use super::accounts::Account;
use super::bank::taxonomy;
use super::exams::{self, CurrentView, StartRequest};
use crate::domain::accounts::Role;
use crate::domain::local_time;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{DbConn, accounts as users_db, classes as db, programs};
use rand::RngExt;
use serde::Serialize;
use time::{Date, PrimitiveDateTime, Time};

mod gradebook;
pub use gradebook::*;

/// What an assignment asks a student to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AssignmentKind {
    Drill,
    Program,
    Readiness,
    Mblex,
}

impl AssignmentKind {
    pub const ALL: [AssignmentKind; 4] = [
        AssignmentKind::Drill,
        AssignmentKind::Program,
        AssignmentKind::Readiness,
        AssignmentKind::Mblex,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentKind::Drill => "drill",
            AssignmentKind::Program => "program",
            AssignmentKind::Readiness => "readiness",
            AssignmentKind::Mblex => "mblex",
        }
    }
    pub fn parse(s: &str) -> Option<AssignmentKind> {
        AssignmentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            AssignmentKind::Drill => "Topic drill",
            AssignmentKind::Program => "Instructor program",
            AssignmentKind::Readiness => "Readiness check",
            AssignmentKind::Mblex => "MBLEx simulation",
        }
    }
}

/// The class form as typed.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct ClassInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub term: String,
    #[serde(default)]
    pub exam_target: String,
}

/// The assignment form as typed.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct AssignmentInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    /// Drill: area or sub-area code.
    #[serde(default)]
    pub area: String,
    /// Drill: number of questions.
    #[serde(default)]
    pub length: String,
    /// Program: the instructor program's id.
    #[serde(default)]
    pub program: String,
    #[serde(default)]
    pub opens_on: String,
    #[serde(default)]
    pub due_on: String,
}

/// Invite codes: 8 characters without look-alikes (no 0/O, 1/I/L).
fn invite_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

pub fn exam_target_label(t: &str) -> &'static str {
    match t {
        "ncbtmb" => "NCBTMB Board Certification",
        _ => "MBLEx",
    }
}

fn check_class(input: &ClassInput) -> AppResult<()> {
    let mut e = FieldErrors::default();
    let name = input.name.trim();
    if name.is_empty() {
        e.add("name", "Give the class a name.");
    } else if name.chars().count() > 120 {
        e.add("name", "Keep the name under 120 characters.");
    }
    let term = input.term.trim();
    if term.is_empty() {
        e.add("term", "Give the term, e.g. Spring 2027.");
    } else if term.chars().count() > 60 {
        e.add("term", "Keep the term under 60 characters.");
    }
    if !matches!(input.exam_target.as_str(), "mblex" | "ncbtmb") {
        e.add("exam_target", "Choose the exam the class prepares for.");
    }
    e.into_result()
}

/// Creates a class taught by `user`; returns its id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_class(state: &AppState, user: &Account, input: ClassInput) -> AppResult<i64> {
    user.require(Role::Instructor)?;
    check_class(&input)?;
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .tx(move |c| {
            let now = clock.now();
            let code = loop {
                let code = invite_code();
                if db::find_by_code(c, &code)?.is_none() {
                    break code;
                }
            };
            let id = db::insert_class(
                c,
                &db::NewClass {
                    name: input.name.trim(),
                    term: input.term.trim(),
                    exam_target: &input.exam_target,
                    invite_code: &code,
                    created_by: uid,
                    created_at: now,
                },
            )?;
            db::add_teacher(c, id, uid, now)?;
            Ok(id)
        })
        .await
}

/// The class if `user` teaches it; otherwise not found (a class's existence is not disclosed).
pub(crate) fn taught(c: &mut DbConn, user_id: i64, class_id: i64) -> AppResult<db::ClassRow> {
    match db::find_class(c, class_id)? {
        Some(class) if db::is_teacher(c, class_id, user_id)? => Ok(class),
        _ => Err(AppError::NotFound(
            "No class of yours has this address.".into(),
        )),
    }
}

/// Adds a co-teacher (an instructor's account, by e-mail).
pub async fn add_teacher(
    state: &AppState,
    user: &Account,
    class_id: i64,
    email: String,
) -> AppResult<()> {
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .tx(move |c| {
            taught(c, uid, class_id)?;
            let email = email.trim().to_lowercase();
            if email.is_empty() {
                return Err(AppError::invalid(
                    "email",
                    "Enter the e-mail address of the instructor's Palpate account.",
                ));
            }
            let Some(other) = users_db::find_user_by_email(c, &email)? else {
                return Err(AppError::invalid(
                    "email",
                    "No Palpate account has this e-mail address.",
                ));
            };
            let is_instructor = super::accounts::load_account(c, other.id)?
                .is_some_and(|a| a.has(Role::Instructor));
            if !is_instructor {
                return Err(AppError::invalid(
                    "email",
                    "This person is not an instructor on Palpate.",
                ));
            }
            if other.id == uid {
                return Err(AppError::invalid(
                    "email",
                    "You already teach this class; enter a colleague's address.",
                ));
            }
            Ok(db::add_teacher(c, class_id, other.id, clock.now())?)
        })
        .await
}

/// A class as a list entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClassSummary {
    pub id: i64,
    pub name: String,
    pub term: String,
    pub exam_target: String,
    pub exam_label: &'static str,
}

fn summary(c: &db::ClassRow) -> ClassSummary {
    ClassSummary {
        id: c.id,
        name: c.name.clone(),
        term: c.term.clone(),
        exam_target: c.exam_target.clone(),
        exam_label: exam_target_label(&c.exam_target),
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyClasses {
    pub teaching: Vec<ClassSummary>,
    pub member_of: Vec<ClassSummary>,
}

pub async fn my_classes(state: &AppState, user: &Account) -> AppResult<MyClasses> {
    let uid = user.id;
    state
        .db(move |c| {
            Ok(MyClasses {
                teaching: db::classes_taught(c, uid)?.iter().map(summary).collect(),
                member_of: db::classes_joined(c, uid)?.iter().map(summary).collect(),
            })
        })
        .await
}

/// Joins the class with this invite code (students); returns its id.
pub async fn join(state: &AppState, user: &Account, code: String) -> AppResult<i64> {
    if !user.has(Role::Student) {
        return Err(AppError::Forbidden(
            "Classes are for students: your account is not a student's.".into(),
        ));
    }
    let code: String = code
        .trim()
        .to_uppercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if code.is_empty() {
        return Err(AppError::invalid(
            "code",
            "Type the invite code your instructor gave you.",
        ));
    }
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .tx(move |c| {
            let Some(class) = db::find_by_code(c, &code)? else {
                return Err(AppError::invalid(
                    "code",
                    "No class has this invite code. Check it with your instructor.",
                ));
            };
            db::join(c, class.id, uid, clock.now())?;
            Ok(class.id)
        })
        .await
}

/// The class an invite code opens (for the join page), if any.
pub async fn class_by_code(state: &AppState, code: String) -> AppResult<Option<ClassSummary>> {
    let code = code.trim().to_uppercase();
    state
        .db(move |c| Ok(db::find_by_code(c, &code)?.as_ref().map(summary)))
        .await
}

/// Leaves a class: the teachers stop seeing the student at once.
pub async fn leave(state: &AppState, user: &Account, class_id: i64) -> AppResult<()> {
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .tx(move |c| match db::leave(c, class_id, uid, clock.now())? {
            0 => Err(AppError::NotFound("You are not in this class.".into())),
            _ => Ok(()),
        })
        .await
}

/// The class `user` is a member of now, with when they joined.
pub(crate) fn membership(
    c: &mut DbConn,
    user_id: i64,
    class_id: i64,
) -> AppResult<(db::ClassRow, PrimitiveDateTime)> {
    match (
        db::find_class(c, class_id)?,
        db::joined_at(c, class_id, user_id)?,
    ) {
        (Some(class), Some(joined)) => Ok((class, joined)),
        _ => Err(AppError::NotFound("You are not in this class.".into())),
    }
}

fn day(field: &str, raw: &str, e: &mut FieldErrors, today: Date) -> Option<Date> {
    let d = super::ce::date(field, raw, e);
    if raw.trim().is_empty() {
        e.add(field, "Give a date.");
    }
    match d {
        Some(d) if (d - today).whole_days().abs() > 2 * 366 => {
            e.add(field, "Give a date within two years of today.");
            None
        }
        other => other,
    }
}

/// Checks an assignment form; returns the row to insert (without class, author and time).
fn check_assignment(
    c: &mut DbConn,
    input: &AssignmentInput,
    today: Date,
) -> AppResult<NewAssignmentOwned> {
    let mut e = FieldErrors::default();
    let kind = AssignmentKind::parse(input.kind.trim());
    if kind.is_none() {
        e.add("kind", "Choose what to assign.");
    }
    let mut title = input.title.trim().to_string();
    if title.chars().count() > 120 {
        e.add("title", "Keep the title under 120 characters.");
    }
    let (mut areas, mut length, mut program_id) = (String::new(), None, None);
    match kind {
        Some(AssignmentKind::Drill) => {
            let area = input.area.trim().to_string();
            if taxonomy().area(&area).is_none() && taxonomy().subarea(&area).is_none() {
                e.add("area", "Choose the area or sub-area of the drill.");
            }
            match input.length.trim().parse::<i32>() {
                Ok(n) if (5..=100).contains(&n) => length = Some(n),
                _ => e.add("length", "Give a number of questions from 5 to 100."),
            }
            if title.is_empty() {
                title = format!("Drill: {}", area_label(&area));
            }
            areas = area;
        }
        Some(AssignmentKind::Program) => match input
            .program
            .trim()
            .parse::<i64>()
            .ok()
            .map(|id| programs::find(c, id))
        {
            Some(Ok(Some(p))) if p.active => {
                if title.is_empty() {
                    title = p.name.clone();
                }
                program_id = Some(p.id);
            }
            Some(Err(err)) => return Err(err.into()),
            _ => e.add("program", "Choose one of the programs offered."),
        },
        Some(k) if title.is_empty() => title = k.label().to_string(),
        Some(_) | None => {}
    }
    let opens = day("opens_on", &input.opens_on, &mut e, today);
    let due = day("due_on", &input.due_on, &mut e, today);
    if let (Some(o), Some(d)) = (opens, due)
        && d < o
    {
        e.add(
            "due_on",
            "The due date must be on or after the opening date.",
        );
    }
    e.into_result()?;
    let (Some(kind), Some(opens), Some(due)) = (kind, opens, due) else {
        return Err(AppError::invalid("kind", "Choose what to assign."));
    };
    Ok(NewAssignmentOwned {
        kind,
        title,
        areas,
        length,
        program_id,
        opens_at: PrimitiveDateTime::new(opens, Time::MIDNIGHT),
        due_at: PrimitiveDateTime::new(due, Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT)),
    })
}

struct NewAssignmentOwned {
    kind: AssignmentKind,
    title: String,
    areas: String,
    length: Option<i32>,
    program_id: Option<i64>,
    opens_at: PrimitiveDateTime,
    due_at: PrimitiveDateTime,
}

fn area_label(code: &str) -> String {
    let t = taxonomy();
    t.area(code)
        .map(|a| format!("{}. {}", a.code, a.name))
        .or_else(|| {
            t.subarea(code)
                .map(|(_, s)| format!("{} {}", s.code, s.name))
        })
        .unwrap_or_else(|| code.to_string())
}

/// A class's clock: assignments open and fall due on the wall clock of the class's time zone
/// (its creator's study time zone), so "due 10 December" ends at 23:59:59 there, not in UTC.
#[derive(Clone, Copy)]
pub(crate) struct ClassClock {
    tz: chrono_tz::Tz,
    now: PrimitiveDateTime,
}

impl ClassClock {
    pub(crate) fn of(
        c: &mut DbConn,
        class: &db::ClassRow,
        now: PrimitiveDateTime,
    ) -> AppResult<Self> {
        Ok(ClassClock {
            tz: super::study_settings::zone_of(c, class.created_by)?,
            now,
        })
    }

    /// The class's date today.
    pub(crate) fn today(self) -> Date {
        local_time::local_date(self.tz, self.now)
    }

    /// The class's wall clock at a UTC instant.
    pub(crate) fn local(self, utc: PrimitiveDateTime) -> PrimitiveDateTime {
        local_time::local(self.tz, utc)
    }

    /// Has the assignment opened?
    pub(crate) fn opened(self, a: &db::AssignmentRow) -> bool {
        a.opens_at <= self.local(self.now)
    }
}

/// Today in a class's time zone (its creator's): the date its assignments open and fall due by.
pub async fn class_today(state: &AppState, class_id: i64) -> AppResult<Date> {
    let clock = state.clock.clone();
    state
        .db(move |c| {
            let now = clock.now();
            match db::find_class(c, class_id)? {
                Some(class) => Ok(ClassClock::of(c, &class, now)?.today()),
                None => Ok(now.date()),
            }
        })
        .await
}

/// Adds an assignment to a class `user` teaches; returns its id.
pub async fn create_assignment(
    state: &AppState,
    user: &Account,
    class_id: i64,
    input: AssignmentInput,
) -> AppResult<i64> {
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .tx(move |c| {
            let class = taught(c, uid, class_id)?;
            let now = clock.now();
            // Dates are the class's own (its creator's time zone), as is "today".
            let today = ClassClock::of(c, &class, now)?.today();
            let a = check_assignment(c, &input, today)?;
            Ok(db::insert_assignment(
                c,
                &db::NewAssignment {
                    class_id,
                    kind: a.kind.as_str(),
                    title: &a.title,
                    areas: &a.areas,
                    length: a.length,
                    program_id: a.program_id,
                    opens_at: a.opens_at,
                    due_at: a.due_at,
                    created_by: uid,
                    created_at: now,
                },
            )?)
        })
        .await
}

/// Starts (or resumes) the exam of an assignment for a member of its class.
pub async fn start_assignment(
    state: &AppState,
    user: &Account,
    assignment_id: i64,
) -> AppResult<CurrentView> {
    let (clock, uid) = (state.clock.clone(), user.id);
    let a = state
        .db(move |c| {
            let a = db::find_assignment(c, assignment_id)?
                .ok_or_else(|| AppError::NotFound("No such assignment.".into()))?;
            let (class, _) = membership(c, uid, a.class_id)?;
            if !ClassClock::of(c, &class, clock.now())?.opened(&a) {
                return Err(AppError::Conflict(format!(
                    "This assignment opens on {}.",
                    a.opens_at.date()
                )));
            }
            let running = db::running_exam(c, uid, a.id)?;
            Ok((a, running))
        })
        .await?;
    let (a, running) = a;
    if let Some(public_id) = running {
        return exams::current(state, uid, public_id).await;
    }
    let req = match AssignmentKind::parse(&a.kind) {
        Some(AssignmentKind::Drill) => StartRequest {
            program: "drill".into(),
            areas: vec![a.areas.clone()],
            length: a.length.map(|n| n as u32),
        },
        Some(AssignmentKind::Program) => StartRequest {
            program: format!("custom:{}", a.program_id.unwrap_or(0)),
            ..StartRequest::default()
        },
        Some(k) => StartRequest {
            program: k.as_str().into(),
            ..StartRequest::default()
        },
        None => {
            return Err(AppError::internal(anyhow::anyhow!(
                "assignment {} kind {:?}",
                a.id,
                a.kind
            )));
        }
    };
    exams::start_for_assignment(state, user, req, a.id).await
}
