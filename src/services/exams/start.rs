//! Who may take exams, and starting one.

use super::*;

/// Who may take exams at all: students, and certified therapists (who practise too and take CE
/// course exams). The one check behind the web pages and the API.
pub fn may_take_exams(user: &Account) -> AppResult<()> {
    if user.has(Role::Student) || user.has(Role::Practitioner) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// Who may start `program`: a CE course exam (`course:N`) is for certified therapists only (it
/// issues a CE certificate); every practice program for anyone who may take exams.
pub fn may_start(user: &Account, program: &str) -> AppResult<()> {
    may_take_exams(user)?;
    if program.starts_with("course:") && !user.has(Role::Practitioner) {
        return Err(AppError::Forbidden(
            "CE course exams are for certified therapists: add the therapist role to your account first.".into(),
        ));
    }
    Ok(())
}

/// Starts an exam and presents its first item; returns the exam's state (its first question).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn start(state: &AppState, user: &Account, req: StartRequest) -> AppResult<CurrentView> {
    start_with(state, user, req, None, None).await
}

/// Starts an exam for a class assignment (the caller has checked the student may); the exam
/// records the assignment so the class gradebook finds it.
pub async fn start_for_assignment(
    state: &AppState,
    user: &Account,
    req: StartRequest,
    assignment: i64,
) -> AppResult<CurrentView> {
    start_with(state, user, req, None, Some(assignment)).await
}

/// Starts a study session: a drill over the questions of `cfg` (see [`study_config`]).
pub async fn start_study(
    state: &AppState,
    user: &Account,
    cfg: ExamConfig,
) -> AppResult<CurrentView> {
    let req = StartRequest {
        program: "drill".into(),
        ..StartRequest::default()
    };
    start_with(state, user, req, Some(cfg), None).await
}

/// A program kept in the database: a CE course's exam or an instructor's program.
enum StoredProgram {
    Course(i64),
    Custom(i64),
}

/// The program a request names, as far as it is known without the database: a configuration
/// (built in, or given by the caller), or the stored program to read.
fn requested(
    req: &StartRequest,
    preset: Option<ExamConfig>,
) -> AppResult<Result<ExamConfig, StoredProgram>> {
    if let Some(cfg) = preset {
        return Ok(Ok(cfg));
    }
    if let Some(id) = req
        .program
        .strip_prefix("course:")
        .and_then(|id| id.parse().ok())
    {
        return Ok(Err(StoredProgram::Course(id)));
    }
    if let Some(id) = req.program.strip_prefix("custom:") {
        let id = id
            .parse()
            .map_err(|_| AppError::invalid("program", "Unknown program."))?;
        return Ok(Err(StoredProgram::Custom(id)));
    }
    config_for(req).map(Ok)
}

/// The configuration of a stored program that may still be started.
fn stored_config(c: &mut DbConn, program: StoredProgram) -> AppResult<ExamConfig> {
    match program {
        StoredProgram::Course(id) => match crate::store::courses::find(c, id)? {
            Some(row) if row.published => course_config(&row),
            _ => Err(AppError::invalid(
                "program",
                "That course is not available.",
            )),
        },
        StoredProgram::Custom(id) => match crate::store::programs::find(c, id)? {
            Some(row) if row.active => custom_config(&row),
            _ => Err(AppError::invalid(
                "program",
                "That program is no longer offered.",
            )),
        },
    }
}

async fn start_with(
    state: &AppState,
    user: &Account,
    req: StartRequest,
    preset: Option<ExamConfig>,
    assignment: Option<i64>,
) -> AppResult<CurrentView> {
    may_start(user, &req.program)?;
    let requested = requested(&req, preset)?;
    let st = state.clone();
    let uid = user.id;
    // Everything the engine needs is read first; the write is then one short transaction.
    let plan = state
        .db(move |c| {
            let now = st.clock.now();
            let mut cfg = match requested {
                Ok(cfg) => cfg,
                Err(stored) => stored_config(c, stored)?,
            };
            let prior = match cfg.kind {
                ExamKind::Drill => 0.0,
                _ => db::last_theta(c, uid)?.map(|t| (0.5 * t).clamp(-1.0, 1.0)).unwrap_or(0.0),
            };
            let seed: i64 = rand::rng().random_range(1..i64::MAX);
            // A study session is made of questions seen before, on purpose.
            let seen = if cfg.items.is_empty() {
                db::recently_seen(c, uid, now - Duration::days(30), 0)?
            } else {
                vec![]
            };
            // A passing standard an administrator adopted from reported exam results.
            if matches!(cfg.kind, ExamKind::Mblex | ExamKind::Ncbtmb | ExamKind::Readiness)
                && let Some(cut) = crate::services::outcomes::adopted_cut(c)?
            {
                cfg.engine.cut = cut;
            }
            cfg.assignment = assignment;
            // The exam keeps the parameters of the latest calibration to its end.
            cfg.parameters = st.pools.get_or_build(c, now)?.parameters;
            let live = exam_pool(&st, c, &cfg, &[], now)?;
            // Unscored trial positions the bank cannot fill go to scored questions: the exam is
            // that much shorter, and says so from the first question ("of 100", not "of 110").
            let trial_positions = cfg.max_items.saturating_sub(cfg.engine.stopping.max_items);
            let trial_items = live.pool.pretest_indices().len() as u32;
            cfg.max_items -= trial_positions.saturating_sub(trial_items);
            let ctx = SelectionContext::new(&live.pool, &seen);
            let mut session = Session::new(cfg.engine.clone(), seed as u64, prior).map_err(engine_err)?;
            let Some(first) = session.next_item(&live.pool, &ctx).map_err(engine_err)? else {
                return Err(AppError::Conflict(
                    "There are not enough live questions for this program yet. Try another area, or ask an instructor.".into(),
                ));
            };
            let seen_json = serde_json::to_string(&seen).map_err(AppError::internal)?;
            Ok((cfg, prior, seed, seen_json, live, session, first))
        })
        .await?;
    let (cfg, prior, seed, seen_json, live, session, first) = plan;
    let st = state.clone();
    let public_id = uuid::Uuid::new_v4().simple().to_string();
    // Committed with the answers arriving at the same moment (group commit, in the lane its
    // answers will use): one disk wait for all of them.
    let (view, entry) = state
        .tx_grouped(lane_key(&public_id), move |c| {
            let now = st.clock.now();
            let config = serde_json::to_string(&cfg).map_err(AppError::internal)?;
            let deadline = cfg
                .timed
                .then(|| now + Duration::seconds(cfg.engine.time_limit_secs as i64));
            let new = db::NewExam {
                public_id: &public_id,
                user_id: uid,
                program: cfg.kind.as_str(),
                title: &cfg.title,
                config: &config,
                seed,
                prior_mu: prior,
                seen: &seen_json,
                status: db::IN_PROGRESS,
                started_at: now,
                deadline_at: deadline,
                assignment_id: cfg.assignment,
            };
            db::insert_exam(c, &new)?;
            let exam = db::find_by_public_id(c, &public_id)?.ok_or_else(AppError::not_found)?;
            let row = present(c, &exam, &live, &first, 1, now)?;
            let rows = vec![row];
            let view = current_view_with(c, &exam, &cfg, &rows, Some(&live), now, None)?;
            Ok((view, RunningExam::new(exam, cfg, rows, session, live)))
        })
        .await?;
    state.running_exams.put(entry);
    Ok(view)
}
