//! Exam programs: the built-in programs, custom programs instructors define, CE course exams.

use super::*;

/// Which kind of exam a program is. Stored as its lower-case name (in the exam's configuration and
/// the exams table's `program` column); compared as a type everywhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExamKind {
    Mblex,
    Ncbtmb,
    Readiness,
    Drill,
    Custom,
    Course,
}

impl ExamKind {
    pub const ALL: [ExamKind; 6] = [
        ExamKind::Mblex,
        ExamKind::Ncbtmb,
        ExamKind::Readiness,
        ExamKind::Drill,
        ExamKind::Custom,
        ExamKind::Course,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ExamKind::Mblex => "mblex",
            ExamKind::Ncbtmb => "ncbtmb",
            ExamKind::Readiness => "readiness",
            ExamKind::Drill => "drill",
            ExamKind::Custom => "custom",
            ExamKind::Course => "course",
        }
    }
    /// The kind a stored name stands for; an unknown name is an error naming it.
    pub fn stored(s: &str) -> AppResult<ExamKind> {
        ExamKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("stored exam kind {s:?} is unknown")))
    }
}

/// Where an exam stands, as stored in the exams table's `status` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExamStatus {
    InProgress,
    Finished,
}

impl ExamStatus {
    pub fn stored(s: &str) -> AppResult<ExamStatus> {
        match s {
            db::IN_PROGRESS => Ok(ExamStatus::InProgress),
            db::FINISHED => Ok(ExamStatus::Finished),
            other => Err(AppError::internal(anyhow::anyhow!(
                "stored exam status {other:?} is unknown"
            ))),
        }
    }
}

/// How an exam is delivered, beside the engine's program.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExamConfig {
    pub kind: ExamKind,
    pub title: String,
    pub engine: Program,
    /// No clock at all (drills).
    pub timed: bool,
    /// Show the key and rationales right after each answer (drills).
    pub feedback: bool,
    /// Allow revisiting answered items during the exam (drills).
    pub allow_back: bool,
    /// Restrict the pool to these sub-areas (empty = whole bank).
    #[serde(default)]
    pub subareas: Vec<String>,
    /// Largest number of items that can be presented (for progress display).
    pub max_items: u32,
    /// A fixed length (no early stop).
    pub fixed_length: bool,
    /// A CE course's exam: the course and its pass mark.
    #[serde(default)]
    pub course: Option<i64>,
    /// The calibration run whose item parameters the exam uses, set when it starts (none: the
    /// priors). An exam keeps them to the end, whatever runs come after.
    #[serde(default)]
    pub parameters: Option<i64>,
    /// Restrict the pool to these questions (study sessions; empty = no restriction).
    #[serde(default)]
    pub items: Vec<String>,
    /// The class assignment this exam was started for.
    #[serde(default)]
    pub assignment: Option<i64>,
}

/// What a student may start.
#[derive(Debug, Clone, Deserialize, Default, utoipa::ToSchema)]
pub struct StartRequest {
    pub program: String,
    /// Drills: area codes ("3") and/or sub-area codes ("3.B").
    #[serde(default)]
    pub areas: Vec<String>,
    /// Drills: number of questions.
    #[serde(default)]
    pub length: Option<u32>,
}

pub(super) fn weights_of(id: &str) -> Vec<(String, f64)> {
    blueprints()
        .iter()
        .find(|b| b.id == id)
        .map(|b| b.weights.iter().map(|(k, v)| (k.clone(), *v)).collect())
        .unwrap_or_default()
}

pub(super) fn blueprint_from_data(id: &str) -> AppResult<Blueprint> {
    Blueprint::from_weights(weights_of(id))
        .map_err(|e| AppError::internal(anyhow::anyhow!("blueprint {id}: {e}")))
}

/// Builds the configuration for a program; blueprints come from `question_bank/blueprints.toml`.
pub fn config_for(req: &StartRequest) -> AppResult<ExamConfig> {
    let data = |id: &str| blueprints().iter().find(|b| b.id == id).cloned();
    match req.program.as_str() {
        "mblex" => {
            let bp = data("mblex")
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("no mblex blueprint")))?;
            let mut p = Program::mblex();
            p.blueprint = blueprint_from_data("mblex")?;
            p.stopping.min_items = bp.scored_items;
            p.stopping.max_items = bp.scored_items;
            p.time_limit_secs = bp.minutes * 60;
            Ok(ExamConfig {
                kind: ExamKind::Mblex,
                title: "MBLEx simulation".into(),
                max_items: bp.scored_items + 10,
                engine: p,
                timed: true,
                feedback: false,
                allow_back: false,
                subareas: vec![],
                fixed_length: true,
                course: None,
                parameters: None,
                items: vec![],
                assignment: None,
            })
        }
        "ncbtmb" => {
            let bp = data("ncbtmb")
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("no ncbtmb blueprint")))?;
            let mut p = Program::ncbtmb();
            p.blueprint = blueprint_from_data("ncbtmb")?;
            p.stopping.min_items = bp.scored_items;
            p.stopping.max_items = bp.scored_items;
            p.time_limit_secs = bp.minutes * 60;
            Ok(ExamConfig {
                kind: ExamKind::Ncbtmb,
                title: "NCBTMB Board Certification practice".into(),
                max_items: bp.scored_items,
                engine: p,
                timed: true,
                feedback: false,
                allow_back: false,
                subareas: vec![],
                fixed_length: true,
                course: None,
                parameters: None,
                items: vec![],
                assignment: None,
            })
        }
        "readiness" => {
            let mut p = Program::readiness();
            p.blueprint = blueprint_from_data("mblex")?;
            Ok(ExamConfig {
                kind: ExamKind::Readiness,
                title: "Readiness check".into(),
                max_items: p.stopping.max_items + p.stopping.max_items / 10,
                engine: p,
                timed: true,
                feedback: false,
                allow_back: false,
                subareas: vec![],
                fixed_length: false,
                course: None,
                parameters: None,
                items: vec![],
                assignment: None,
            })
        }
        "drill" => {
            let subareas = resolve_subareas(&req.areas)?;
            let length = req.length.unwrap_or(10);
            if !(1..=50).contains(&length) {
                return Err(AppError::invalid(
                    "length",
                    "A drill has 1 to 50 questions.",
                ));
            }
            let p = fixed_program("drill", &subareas, length, 7 * 24 * 3600)?;
            Ok(ExamConfig {
                kind: ExamKind::Drill,
                title: format!("Topic drill: {}", topics_label(&subareas)),
                max_items: length,
                engine: p,
                timed: false,
                feedback: true,
                allow_back: true,
                subareas,
                fixed_length: true,
                course: None,
                parameters: None,
                items: vec![],
                assignment: None,
            })
        }
        other => Err(AppError::invalid(
            "program",
            format!("Unknown program {other:?}: use mblex, readiness, ncbtmb or drill."),
        )),
    }
}

/// Area and sub-area codes → the sorted sub-area codes they cover.
/// Sub-areas by name for people: a whole area by the area's name, at most three names, then a
/// count ("Anatomy & Physiology, Kinesiology and 2 more").
pub fn topics_label(subareas: &[String]) -> String {
    let taxo = taxonomy();
    let mut names: Vec<String> = vec![];
    for a in &taxo.areas {
        let inside: Vec<&crate::domain::bank::taxonomy::SubArea> = a
            .subareas
            .iter()
            .filter(|s| subareas.contains(&s.code))
            .collect();
        if !inside.is_empty() && inside.len() == a.subareas.len() {
            names.push(a.name.clone());
        } else {
            names.extend(inside.iter().map(|s| s.name.clone()));
        }
    }
    match names.len() {
        0 => "chosen topics".into(),
        1 => names.remove(0),
        2 | 3 => {
            let last = names.pop().unwrap_or_default();
            format!("{} and {last}", names.join(", "))
        }
        n => format!("{}, {} and {} more", names[0], names[1], n - 2),
    }
}

pub fn resolve_subareas(codes: &[String]) -> AppResult<Vec<String>> {
    let taxo = taxonomy();
    let mut subareas: Vec<String> = vec![];
    for code in codes {
        if let Some(a) = taxo.area(code) {
            subareas.extend(a.subareas.iter().map(|s| s.code.clone()));
        } else if taxo.subarea(code).is_some() {
            subareas.push(code.clone());
        } else {
            return Err(AppError::invalid(
                "areas",
                format!("{code:?} is not a content area or sub-area."),
            ));
        }
    }
    subareas.sort();
    subareas.dedup();
    if subareas.is_empty() {
        return Err(AppError::invalid(
            "areas",
            "Choose at least one area or sub-area.",
        ));
    }
    Ok(subareas)
}

/// A fixed-length program over some sub-areas, areas weighted equally, no pretest, no early stop.
pub(super) fn fixed_program(
    id: &str,
    subareas: &[String],
    length: u32,
    secs: u32,
) -> AppResult<Program> {
    let mut areas: Vec<String> = subareas
        .iter()
        .map(|s| s.split('.').next().unwrap_or("").to_string())
        .collect();
    areas.dedup();
    let w = 1.0 / areas.len() as f64;
    weighted_program(
        id,
        areas.iter().map(|a| (a.clone(), w)).collect(),
        length,
        secs,
    )
}

/// A fixed-length program with these area weights, no pretest, no early stop.
fn weighted_program(
    id: &str,
    weights: Vec<(String, f64)>,
    length: u32,
    secs: u32,
) -> AppResult<Program> {
    let mut p = Program::readiness();
    p.id = id.into();
    p.blueprint =
        Blueprint::from_weights(weights).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    p.stopping.min_items = length;
    p.stopping.max_items = length;
    p.stopping.min_per_area = 0;
    p.stopping.rule = StopRule::None;
    p.pretest = PretestPlan::None;
    p.time_limit_secs = secs;
    p.timeout = TimeoutRule::ByEstimate;
    Ok(p)
}

/// A study session: a drill (untimed, the key and rationales after every answer, resumable) over
/// exactly these questions, given with their content areas; areas weighted by their share.
pub fn study_config(title: &str, items: &[(String, String)]) -> AppResult<ExamConfig> {
    if items.is_empty() {
        return Err(AppError::Conflict(
            "There is nothing to study here yet.".into(),
        ));
    }
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for (_, area) in items {
        *counts.entry(area.as_str()).or_default() += 1;
    }
    let n = items.len() as f64;
    let weights = counts
        .iter()
        .map(|(a, k)| (a.to_string(), *k as f64 / n))
        .collect();
    let length = items.len() as u32;
    let p = weighted_program("study", weights, length, 7 * 24 * 3600)?;
    Ok(ExamConfig {
        kind: ExamKind::Drill,
        title: title.into(),
        max_items: length,
        engine: p,
        timed: false,
        feedback: true,
        allow_back: true,
        subareas: vec![],
        fixed_length: true,
        course: None,
        parameters: None,
        items: items.iter().map(|(id, _)| id.clone()).collect(),
        assignment: None,
    })
}

/// An instructor's program: timed, fixed length, in order, reviewed after finishing.
pub fn custom_config(row: &crate::store::programs::ProgramRow) -> AppResult<ExamConfig> {
    let codes: Vec<String> = serde_json::from_str(&row.areas).map_err(AppError::internal)?;
    let subareas = resolve_subareas(&codes)?;
    let p = fixed_program(
        &format!("custom:{}", row.id),
        &subareas,
        row.length as u32,
        row.minutes as u32 * 60,
    )?;
    Ok(ExamConfig {
        kind: ExamKind::Custom,
        title: row.name.clone(),
        max_items: row.length as u32,
        engine: p,
        timed: true,
        feedback: false,
        allow_back: false,
        subareas,
        fixed_length: true,
        course: None,
        parameters: None,
        items: vec![],
        assignment: None,
    })
}

/// A CE course's exam: untimed, fixed length, in order, reviewed after finishing.
pub fn course_config(c: &crate::store::courses::Course) -> AppResult<ExamConfig> {
    let codes: Vec<String> = serde_json::from_str(&c.subareas).map_err(AppError::internal)?;
    let subareas = resolve_subareas(&codes)?;
    let p = fixed_program(
        &format!("course:{}", c.id),
        &subareas,
        c.questions as u32,
        7 * 24 * 3600,
    )?;
    Ok(ExamConfig {
        kind: ExamKind::Course,
        title: format!("CE course exam: {}", c.title),
        max_items: c.questions as u32,
        engine: p,
        timed: false,
        feedback: false,
        allow_back: false,
        subareas,
        fixed_length: true,
        course: Some(c.id),
        parameters: None,
        items: vec![],
        assignment: None,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomProgram {
    pub id: i64,
    pub name: String,
    pub areas: Vec<String>,
    /// The areas by name, for people.
    pub areas_label: String,
    pub length: i32,
    pub minutes: i32,
    pub author: String,
    pub active: bool,
}

/// Creates an instructor's program after checking it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_program(
    state: &AppState,
    owner: &Account,
    name: String,
    areas: Vec<String>,
    length: Option<i32>,
    minutes: Option<i32>,
) -> AppResult<i64> {
    let mut errors = crate::error::FieldErrors::default();
    let name = name.trim().to_string();
    if !(3..=80).contains(&name.chars().count()) {
        errors.add("name", "Give the program a name of 3 to 80 characters.");
    }
    if let Err(AppError::Invalid { message, .. }) = resolve_subareas(&areas) {
        errors.add("areas", message);
    }
    let length = length.unwrap_or(0);
    if !(5..=150).contains(&length) {
        errors.add("length", "Use 5 to 150 questions.");
    }
    let minutes = minutes.unwrap_or(0);
    if !(5..=300).contains(&minutes) {
        errors.add("minutes", "Use 5 to 300 minutes.");
    }
    errors.into_result()?;
    let json = serde_json::to_string(&areas).map_err(AppError::internal)?;
    let (clock, uid) = (state.clock.clone(), owner.id);
    state
        .tx(move |c| {
            Ok(crate::store::programs::insert(
                c,
                uid,
                &name,
                &json,
                length,
                minutes,
                clock.now(),
            )?)
        })
        .await
}

pub(super) fn program_view(r: crate::store::programs::ProgramRow, author: String) -> CustomProgram {
    let areas: Vec<String> = crate::services::stored_or_logged("custom_programs.areas", &r.areas);
    CustomProgram {
        areas_label: topics_label(&resolve_subareas(&areas).unwrap_or_default()),
        areas,
        id: r.id,
        name: r.name,
        length: r.length,
        minutes: r.minutes,
        author,
        active: r.active,
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn active_programs(state: &AppState) -> AppResult<Vec<CustomProgram>> {
    state
        .db(|c| {
            Ok(crate::store::programs::active(c)?
                .into_iter()
                .map(|(r, n)| program_view(r, n))
                .collect())
        })
        .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_programs(state: &AppState, owner: &Account) -> AppResult<Vec<CustomProgram>> {
    let (uid, name) = (owner.id, owner.name.clone());
    state
        .db(move |c| {
            Ok(crate::store::programs::owned_by(c, uid)?
                .into_iter()
                .map(|r| program_view(r, name.clone()))
                .collect())
        })
        .await
}

#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn archive_program(state: &AppState, owner: &Account, id: i64) -> AppResult<()> {
    let uid = owner.id;
    if state
        .tx(move |c| Ok(crate::store::programs::archive(c, uid, id)?))
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound("No such program of yours.".into()))
    }
}
