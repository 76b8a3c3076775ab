//! What teachers and students see of a class: the class page, the gradebook (and its CSV), each
//! student's own row and assignments, and an assignment's item analysis.

use super::*;
use crate::domain::bank::KEYS;
use std::collections::{BTreeMap, HashMap};

/// Where a student stands on an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    NotOpen,
    ToDo,
    InProgress,
    Done,
    DoneLate,
    Overdue,
}

impl Standing {
    pub fn label(self) -> &'static str {
        match self {
            Standing::NotOpen => "Not open yet",
            Standing::ToDo => "To do",
            Standing::InProgress => "In progress",
            Standing::Done => "Done",
            Standing::DoneLate => "Done late",
            Standing::Overdue => "Overdue",
        }
    }
}

/// One student's work on one assignment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cell {
    pub standing: Standing,
    pub label: &'static str,
    pub late: bool,
    /// Percent correct of the finished attempt (the best, if several).
    pub percent: Option<i32>,
}

fn cell(a: &db::AssignmentRow, exams: &[&db::ExamFacts], clock: ClassClock) -> Cell {
    let now = clock.local(clock.now);
    let mine: Vec<&&db::ExamFacts> = exams
        .iter()
        .filter(|e| e.assignment_id == Some(a.id))
        .collect();
    let finished: Vec<&&db::ExamFacts> = mine
        .iter()
        .copied()
        .filter(|e| e.finished_at.is_some())
        .collect();
    let best = finished
        .iter()
        .filter(|e| e.n_scored > 0)
        .map(|e| percent_of(e.n_correct as u32, e.n_scored as u32) as i32)
        .max();
    let on_time = finished
        .iter()
        .any(|e| e.finished_at.is_some_and(|f| clock.local(f) <= a.due_at));
    let standing = if on_time {
        Standing::Done
    } else if !finished.is_empty() {
        Standing::DoneLate
    } else if now > a.due_at {
        Standing::Overdue
    } else if !mine.is_empty() {
        Standing::InProgress
    } else if now < a.opens_at {
        Standing::NotOpen
    } else {
        Standing::ToDo
    };
    Cell {
        standing,
        label: standing.label(),
        late: matches!(standing, Standing::DoneLate | Standing::Overdue),
        percent: best,
    }
}

/// An assignment as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssignmentView {
    pub id: i64,
    pub class_id: i64,
    pub class_name: String,
    pub kind_label: &'static str,
    pub title: String,
    pub opens: String,
    pub due: String,
    pub open: bool,
}

fn assignment_view(a: &db::AssignmentRow, class_name: &str, clock: ClassClock) -> AssignmentView {
    AssignmentView {
        id: a.id,
        class_id: a.class_id,
        class_name: class_name.to_string(),
        kind_label: AssignmentKind::parse(&a.kind)
            .map(|k| k.label())
            .unwrap_or("Assignment"),
        title: a.title.clone(),
        opens: a.opens_at.date().to_string(),
        due: a.due_at.date().to_string(),
        open: clock.opened(a),
    }
}

/// Percent correct and the latest area estimate in one content area.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaCell {
    pub area: String,
    pub answered: u32,
    pub percent: Option<i32>,
    /// θ for the area from the student's latest finished exam covering it.
    pub theta: Option<f64>,
}

/// One student's row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GradeRow {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub joined: String,
    pub cells: Vec<Cell>,
    pub areas: Vec<AreaCell>,
    /// P(pass) of each finished readiness check since joining, oldest first, in percent.
    pub readiness: Vec<i32>,
    pub minutes: i64,
    pub last_activity: Option<String>,
    #[serde(skip)]
    last_activity_at: Option<PrimitiveDateTime>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Gradebook {
    pub class: ClassSummary,
    pub assignments: Vec<AssignmentView>,
    pub areas: Vec<AreaColumn>,
    pub rows: Vec<GradeRow>,
    pub sort: String,
}

/// A content area as a gradebook column.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaColumn {
    pub code: String,
    pub name: String,
}

/// The content areas, in taxonomy order.
fn area_columns() -> Vec<AreaColumn> {
    taxonomy()
        .areas
        .iter()
        .map(|a| AreaColumn {
            code: a.code.clone(),
            name: a.name.clone(),
        })
        .collect()
}

/// Latest per-area θ in a stored exam result (`{"areas": [{"area", "theta"}]}`), if any.
fn area_thetas(result: Option<&str>) -> AppResult<Vec<(String, f64)>> {
    let Some(text) = result else {
        return Ok(vec![]);
    };
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| AppError::internal(anyhow::anyhow!("stored exam result: {e}")))?;
    Ok(v["areas"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["items"].as_u64().unwrap_or(0) > 0)
                .filter_map(|x| Some((x["area"].as_str()?.to_string(), x["theta"].as_f64()?)))
                .collect()
        })
        .unwrap_or_default())
}

fn row_for(
    p: &db::Person,
    assignments: &[db::AssignmentRow],
    exams: &[&db::ExamFacts],
    answers: &[&db::Answer],
    clock: ClassClock,
) -> AppResult<GradeRow> {
    let mut by_area: HashMap<&str, (u32, u32)> = HashMap::new();
    let mut exam_span: HashMap<i64, (PrimitiveDateTime, PrimitiveDateTime)> = HashMap::new();
    for (_, exam_id, area, correct, at) in answers.iter().copied() {
        let e = by_area.entry(area.as_str()).or_default();
        e.0 += 1;
        e.1 += u32::from(*correct);
        let span = exam_span.entry(*exam_id).or_insert((*at, *at));
        span.1 = span.1.max(*at);
    }
    let mut theta: HashMap<String, f64> = HashMap::new();
    for e in exams.iter().filter(|e| e.finished_at.is_some()) {
        for (area, t) in area_thetas(e.result.as_deref())? {
            theta.insert(area, t);
        }
    }
    let minutes: i64 = exams
        .iter()
        .filter_map(|e| {
            exam_span
                .get(&e.id)
                .map(|(_, last)| (*last - e.started_at).whole_minutes().clamp(0, 240))
        })
        .sum();
    let last = answers
        .iter()
        .map(|a| a.4)
        .chain(exams.iter().map(|e| e.started_at))
        .max();
    Ok(GradeRow {
        user_id: p.user_id,
        name: p.name.clone(),
        email: p.email.clone(),
        joined: p.joined_at.date().to_string(),
        cells: assignments.iter().map(|a| cell(a, exams, clock)).collect(),
        areas: area_columns()
            .into_iter()
            .map(|AreaColumn { code, .. }| {
                let (n, right) = by_area.get(code.as_str()).copied().unwrap_or((0, 0));
                AreaCell {
                    answered: n,
                    percent: (n > 0).then(|| percent_of(right, n) as i32),
                    theta: theta.get(&code).map(|t| (t * 100.0).round() / 100.0),
                    area: code,
                }
            })
            .collect(),
        readiness: exams
            .iter()
            .filter(|e| e.program == "readiness" && e.finished_at.is_some())
            .filter_map(|e| e.p_pass.map(|p| (p * 100.0).round() as i32))
            .collect(),
        minutes,
        last_activity: last.map(crate::clock::display),
        last_activity_at: last,
    })
}

/// The rows of these people, each with only what they did since joining.
fn rows(
    c: &mut DbConn,
    people: &[db::Person],
    assignments: &[db::AssignmentRow],
    clock: ClassClock,
) -> AppResult<Vec<GradeRow>> {
    let Some(since) = people.iter().map(|p| p.joined_at).min() else {
        return Ok(vec![]);
    };
    let ids: Vec<i64> = people.iter().map(|p| p.user_id).collect();
    let exams = db::exams_of(c, &ids, since)?;
    let answers = db::answers_of(c, &ids, since)?;
    people
        .iter()
        .map(|p| {
            let mine: Vec<&db::ExamFacts> = exams
                .iter()
                .filter(|e| e.user_id == p.user_id && e.started_at >= p.joined_at)
                .collect();
            let their: Vec<&db::Answer> = answers
                .iter()
                .filter(|a| {
                    a.0 == p.user_id && a.4 >= p.joined_at && mine.iter().any(|e| e.id == a.1)
                })
                .collect();
            row_for(p, assignments, &mine, &their, clock)
        })
        .collect()
}

fn sort_rows(rows: &mut [GradeRow], sort: &str) {
    match sort {
        "activity" => rows.sort_by_key(|r| std::cmp::Reverse(r.last_activity_at)),
        "readiness" => rows.sort_by_key(|r| r.readiness.last().copied().unwrap_or(-1)),
        "time" => rows.sort_by_key(|r| std::cmp::Reverse(r.minutes)),
        area if area.starts_with("area-") => {
            let code = &area[5..];
            rows.sort_by_key(|r| {
                r.areas
                    .iter()
                    .find(|x| x.area == code)
                    .and_then(|x| x.percent)
                    .unwrap_or(101)
            })
        }
        _ => rows.sort_by_key(|a| a.name.to_lowercase()),
    }
}

/// The gradebook of a class `user` teaches, sorted by `sort` (name, activity, readiness, time or
/// area-N: weakest first).
pub async fn gradebook(
    state: &AppState,
    user: &Account,
    class_id: i64,
    sort: String,
) -> AppResult<Gradebook> {
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .db(move |c| {
            let class = taught(c, uid, class_id)?;
            book_of(c, class, clock.now(), sort)
        })
        .await
}

/// Any class's gradebook, for the operator's command line (no teacher check).
pub async fn gradebook_for_operator(state: &AppState, class_id: i64) -> AppResult<Gradebook> {
    let clock = state.clock.clone();
    state
        .db(move |c| {
            let class = db::find_class(c, class_id)?.ok_or_else(|| {
                AppError::NotFound(format!("No class has the number {class_id}."))
            })?;
            book_of(c, class, clock.now(), "name".into())
        })
        .await
}

/// Every class (the operator's list).
pub async fn all_classes(state: &AppState) -> AppResult<Vec<ClassSummary>> {
    state
        .db(move |c| Ok(db::all_classes(c)?.iter().map(summary).collect()))
        .await
}

fn book_of(
    c: &mut DbConn,
    class: db::ClassRow,
    now: PrimitiveDateTime,
    sort: String,
) -> AppResult<Gradebook> {
    let assignments = db::assignments_of(c, &[class.id])?;
    let members = db::members(c, class.id)?;
    let clock = ClassClock::of(c, &class, now)?;
    let mut rows = rows(c, &members, &assignments, clock)?;
    sort_rows(&mut rows, &sort);
    Ok(Gradebook {
        assignments: assignments
            .iter()
            .map(|a| assignment_view(a, &class.name, clock))
            .collect(),
        class: summary(&class),
        areas: area_columns(),
        rows,
        sort,
    })
}

/// A student's own view of a class: their row only, and the class's assignments.
pub async fn my_row(state: &AppState, user: &Account, class_id: i64) -> AppResult<Gradebook> {
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .db(move |c| {
            let (class, joined) = membership(c, uid, class_id)?;
            let now = clock.now();
            let assignments = db::assignments_of(c, &[class_id])?;
            let me = users_db::find_user(c, uid)?.ok_or_else(AppError::not_found)?;
            let person = db::Person {
                user_id: uid,
                name: me.name,
                email: me.email,
                joined_at: joined,
            };
            let clock = ClassClock::of(c, &class, now)?;
            let rows = rows(c, &[person], &assignments, clock)?;
            Ok(Gradebook {
                assignments: assignments
                    .iter()
                    .map(|a| assignment_view(a, &class.name, clock))
                    .collect(),
                class: summary(&class),
                areas: area_columns(),
                rows,
                sort: "name".into(),
            })
        })
        .await
}

/// The gradebook as CSV: one row per student, a column per assignment and per area.
pub fn gradebook_csv(g: &Gradebook) -> AppResult<String> {
    let mut w = ::csv::Writer::from_writer(vec![]);
    let mut header = vec!["Student".to_string(), "E-mail".into(), "Joined".into()];
    header.extend(
        g.assignments
            .iter()
            .map(|a| crate::services::spreadsheet_cell(&format!("{} (due {})", a.title, a.due))),
    );
    header.extend(
        g.areas
            .iter()
            .map(|a| format!("{}. {} (% correct)", a.code, a.name)),
    );
    header.extend([
        "Latest readiness P(pass) %".into(),
        "Minutes".into(),
        "Last activity".into(),
    ]);
    w.write_record(&header).map_err(AppError::internal)?;
    for r in &g.rows {
        let text = crate::services::spreadsheet_cell;
        let mut rec = vec![text(&r.name), text(&r.email), r.joined.clone()];
        rec.extend(r.cells.iter().map(|c| match c.percent {
            Some(p) => format!("{} ({p} %)", c.label),
            None => c.label.to_string(),
        }));
        rec.extend(
            r.areas
                .iter()
                .map(|a| a.percent.map(|p| p.to_string()).unwrap_or_default()),
        );
        rec.push(
            r.readiness
                .last()
                .map(|p| p.to_string())
                .unwrap_or_default(),
        );
        rec.push(r.minutes.to_string());
        rec.push(r.last_activity.clone().unwrap_or_default());
        w.write_record(&rec).map_err(AppError::internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    String::from_utf8(bytes).map_err(AppError::internal)
}

/// The page of a class for its teachers.
#[derive(Debug, Clone, Serialize)]
pub struct ClassView {
    pub class: ClassSummary,
    pub invite_code: String,
    pub teachers: Vec<String>,
    pub members: usize,
    pub assignments: Vec<AssignmentView>,
}

pub async fn class_view(state: &AppState, user: &Account, class_id: i64) -> AppResult<ClassView> {
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .db(move |c| {
            let class = taught(c, uid, class_id)?;
            let clock = ClassClock::of(c, &class, clock.now())?;
            Ok(ClassView {
                invite_code: class.invite_code.clone(),
                teachers: db::teachers(c, class_id)?
                    .into_iter()
                    .map(|t| t.name)
                    .collect(),
                members: db::members(c, class_id)?.len(),
                assignments: db::assignments_of(c, &[class_id])?
                    .iter()
                    .map(|a| assignment_view(a, &class.name, clock))
                    .collect(),
                class: summary(&class),
            })
        })
        .await
}

/// An assignment on a student's dashboard, with where they stand.
#[derive(Debug, Clone, Serialize)]
pub struct MyAssignment {
    pub assignment: AssignmentView,
    pub status: Cell,
}

/// Every assignment of the classes a student is in, due soonest first.
pub async fn my_assignments(state: &AppState, user: &Account) -> AppResult<Vec<MyAssignment>> {
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .db(move |c| {
            let classes = db::classes_joined(c, uid)?;
            if classes.is_empty() {
                return Ok(vec![]);
            }
            let now = clock.now();
            let names: HashMap<i64, String> =
                classes.iter().map(|k| (k.id, k.name.clone())).collect();
            let mut clocks: HashMap<i64, ClassClock> = HashMap::new();
            for k in &classes {
                clocks.insert(k.id, ClassClock::of(c, k, now)?);
            }
            let ids: Vec<i64> = classes.iter().map(|k| k.id).collect();
            let assignments = db::assignments_of(c, &ids)?;
            let since = assignments
                .iter()
                .map(|a| a.created_at)
                .min()
                .unwrap_or(now);
            let exams = db::exams_of(c, &[uid], since.min(now))?;
            let mine: Vec<&db::ExamFacts> =
                exams.iter().filter(|e| e.assignment_id.is_some()).collect();
            Ok(assignments
                .iter()
                .filter_map(|a| {
                    let clock = *clocks.get(&a.class_id)?;
                    Some(MyAssignment {
                        assignment: assignment_view(
                            a,
                            names.get(&a.class_id).map(String::as_str).unwrap_or(""),
                            clock,
                        ),
                        status: cell(a, &mine, clock),
                    })
                })
                .collect())
        })
        .await
}

/// `part` of `whole` as a whole percentage, rounded (2 of 3 is 67 %).
fn percent_of(part: u32, whole: u32) -> u32 {
    if whole == 0 {
        0
    } else {
        (200 * part + whole) / (2 * whole)
    }
}

/// One question of an assignment, as the class answered it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemRow {
    pub item_id: String,
    pub stem: String,
    pub key: String,
    pub answered: u32,
    pub percent_correct: i32,
    /// Each option's text, how many chose it, and whether it is the answer (in the bank's order;
    /// students saw their own shuffled order, so letters would mislead).
    pub choices: Vec<(String, u32, bool)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemAnalysis {
    pub class: ClassSummary,
    pub assignment: AssignmentView,
    pub students: usize,
    pub items: Vec<ItemRow>,
}

/// Each question's proportion correct and option choices within the class (current members
/// only), hardest first.
pub async fn item_analysis(
    state: &AppState,
    user: &Account,
    assignment_id: i64,
) -> AppResult<ItemAnalysis> {
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .db(move |c| {
            let a = db::find_assignment(c, assignment_id)?
                .ok_or_else(|| AppError::NotFound("No such assignment.".into()))?;
            let class = taught(c, uid, a.class_id)?;
            let members: HashMap<i64, PrimitiveDateTime> = db::members(c, a.class_id)?
                .into_iter()
                .map(|p| (p.user_id, p.joined_at))
                .collect();
            let mut per_item: BTreeMap<String, (u32, u32, [u32; 4])> = BTreeMap::new();
            let mut students = std::collections::HashSet::new();
            for (user_id, item, chosen, correct) in db::assignment_answers(c, assignment_id)? {
                if !members.contains_key(&user_id) {
                    continue;
                }
                students.insert(user_id);
                let e = per_item.entry(item).or_default();
                e.0 += 1;
                e.1 += u32::from(correct);
                if let Some(n) = e.2.get_mut(chosen.clamp(0, 3) as usize) {
                    *n += 1;
                }
            }
            let mut items = vec![];
            for (item_id, (n, right, counts)) in per_item {
                let content = crate::services::bank::latest_content(c, &item_id)?;
                let key = content.as_ref().map(|ct| ct.key).unwrap_or(usize::MAX);
                items.push(ItemRow {
                    stem: content
                        .as_ref()
                        .map(|ct| ct.stem.clone())
                        .unwrap_or_default(),
                    key: KEYS.get(key).map(|k| k.to_string()).unwrap_or_default(),
                    answered: n,
                    percent_correct: percent_of(right, n) as i32,
                    // By the option's text: each student saw the options in their own order.
                    choices: (0..4)
                        .map(|i| {
                            let text = content
                                .as_ref()
                                .map(|ct| ct.options[i].clone())
                                .unwrap_or_else(|| KEYS[i].to_string());
                            (text, counts[i], i == key)
                        })
                        .collect(),
                    item_id,
                });
            }
            items.sort_by_key(|i| (i.percent_correct, std::cmp::Reverse(i.answered)));
            Ok(ItemAnalysis {
                assignment: assignment_view(
                    &a,
                    &class.name,
                    ClassClock::of(c, &class, clock.now())?,
                ),
                class: summary(&class),
                students: students.len(),
                items,
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentages_are_rounded_not_cut() {
        assert_eq!(super::percent_of(2, 3), 67);
        assert_eq!(super::percent_of(1, 3), 33);
        assert_eq!(super::percent_of(1, 8), 13);
        assert_eq!(super::percent_of(0, 0), 0);
        assert_eq!(super::percent_of(5, 5), 100);
    }
}
