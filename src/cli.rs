//! The `palpate` command line: `serve` (the default), `migrate`, `users …`.

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::accounts::{Email, NewPassword, PersonName, Role};
use crate::services::{accounts, bank, passwords};
use crate::startup::{self, Application};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "palpate", version, about = "Exam prep and CE tracking for massage therapists", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (the default when no command is given).
    Serve,
    /// Apply pending database migrations and exit (for release pipelines).
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Validate, import, export and count the question bank.
    #[command(subcommand)]
    Bank(BankCommand),
    /// Classes: list them, print a class's gradebook (for the operator).
    #[command(subcommand)]
    Classes(interchange::ClassesCommand),
    /// Run the adaptive engine on simulated examinees (no database) and print JSON figures.
    Simulate(SimulateArgs),
    /// Simulate the daily study plan on synthetic students (no database) and print JSON figures.
    SimulateStudy(study_sim::SimulateStudyArgs),
    /// Estimate item parameters from answers by marginal maximum likelihood (Bock–Aitkin EM);
    /// prints JSON with --json (logs and progress on stderr).
    Calibrate {
        /// RESPONSES.json: {"responses": [{"person", "item", "correct": true|false}]}
        #[arg(long, required_unless_present = "stored")]
        responses: Option<PathBuf>,
        /// Calibrate the answers of finished exams in the database instead, store the run and
        /// make new exams use its parameters (what the scheduled job does); prints the run as JSON.
        #[arg(long, conflicts_with_all = ["responses", "anchor"])]
        stored: bool,
        /// 2pl or 3pl.
        #[arg(long, default_value = "3pl")]
        model: String,
        /// PARAMS.json: {"items": [{"id", "a", "b", "c"}]}, held fixed (the scale's anchors).
        #[arg(long)]
        anchor: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Continuing-education rules.
    #[command(subcommand)]
    Ce(CeCommand),
    /// Copy the running installation (SQLite database, certificates, session key) into one file;
    /// prints JSON. On PostgreSQL use pg_dump (see the README).
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Fill an empty data directory from a backup file; prints JSON.
    Restore {
        /// The backup file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum CeCommand {
    /// Evaluate a scenario (credentials + CE log) against the built-in renewal rules; prints JSON.
    Evaluate {
        /// SCENARIO.json: {"as_of", "person", "credentials", "activities", "credential_items"}
        #[arg(long)]
        input: PathBuf,
        /// Evaluate against the rule files of this folder instead of the built-in ones (for rule
        /// authors checking a worked scenario before rebuilding).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// List the built-in rules: id, jurisdiction, kind, total, cycle, confidence and how many facts
    /// are quoted from a primary source or still unverified.
    Rules {
        /// Print JSON (an array of objects) instead of a table.
        #[arg(long)]
        json: bool,
        /// Load and validate the rule files of this folder instead of the built-in ones (for rule
        /// authors: errors name the file and the field).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct SimulateArgs {
    /// Item bank: [{"id", "a", "b", "c", "domain"}, ...]
    #[arg(long, required_unless_present = "synthetic_bank")]
    bank: Option<PathBuf>,
    /// True abilities: {"thetas": [...]} or a bare list.
    #[arg(long, required_unless_present = "synthetic_simulees")]
    thetas: Option<PathBuf>,
    /// Area weights {"DOMAIN": weight, ...} (default: each domain's share of the bank).
    #[arg(long)]
    blueprint: Option<PathBuf>,
    /// readiness | readiness-expected-loss | mblex | cat-ci
    #[arg(long, default_value = "readiness")]
    program: String,
    /// Passing standard on the θ scale.
    #[arg(long, default_value_t = 0.0)]
    cut: f64,
    /// Number of seeds (1..=N); figures are means over seeds.
    #[arg(long, default_value_t = 5)]
    seeds: u64,
    #[arg(long)]
    min_items: Option<u32>,
    #[arg(long)]
    max_items: Option<u32>,
    /// SPRT half-width of the indifference region (readiness; default 0.3).
    #[arg(long)]
    delta: Option<f64>,
    /// SPRT tolerated false-pass rate α (readiness; default 0.05).
    #[arg(long)]
    alpha: Option<f64>,
    /// SPRT tolerated false-fail rate β (readiness; default 0.05).
    #[arg(long)]
    beta: Option<f64>,
    /// A verdict by estimate passes only at P(pass) ≥ this (readiness default 0.6; 0 = θ̂ ≥ cut).
    #[arg(long)]
    min_pass_probability: Option<f64>,
    /// Stochastic curtailment confidence (readiness default 0.99; 0 turns it off).
    #[arg(long)]
    curtail: Option<f64>,
    /// Instead of --bank: a synthetic 3PL bank of N items (reference set-up, seed 20240601).
    #[arg(long)]
    synthetic_bank: Option<usize>,
    /// The synthetic bank's seed, to draw independent banks (default 20240601, the reference).
    #[arg(long, default_value_t = 20240601)]
    bank_seed: u64,
    /// Instead of --thetas: N abilities drawn from N(0, 1) (seed 20240602).
    #[arg(long)]
    synthetic_simulees: Option<usize>,
}

#[derive(Subcommand)]
enum BankCommand {
    /// Check a bank folder; prints every problem as file:line: item: field: message.
    Validate { dir: PathBuf },
    /// Import a bank folder in one transaction (nothing is imported if anything is invalid), or
    /// with --format a GIFT, Aiken, Moodle XML, QTI 3.0 (ZIP) or CSV file: prints JSON of what was
    /// read and not imported, and with --author creates the questions as that instructor's drafts.
    Import {
        /// The bank folder, or the file with --format.
        path: PathBuf,
        /// palpate (a bank folder, the default), gift, aiken, moodle_xml, qti3 or csv.
        #[arg(long, default_value = "palpate")]
        format: String,
        /// The instructor (e-mail) the drafts belong to; without it nothing is created.
        #[arg(long)]
        author: Option<String>,
        /// Sub-area code for questions whose category names none.
        #[arg(long)]
        subarea: Option<String>,
    },
    /// Write the bank in the database to DIR in the bank file format, or with --format one file
    /// in that format (optionally only an area, status or author).
    Export {
        dir: PathBuf,
        /// palpate (the default), gift, aiken, moodle_xml, qti3 or csv.
        #[arg(long, default_value = "palpate")]
        format: String,
        #[arg(long)]
        area: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        author: Option<String>,
    },
    /// Check a bank folder for item-writing (cueing) flaws; prints file:line: item: severity: rule:
    /// message and the bank-level rates. Fails when there is an error.
    Lint {
        /// The bank folder (default: question_bank).
        dir: Option<PathBuf>,
        /// Print JSON: errors, warnings, accepted exceptions and bank figures.
        #[arg(long)]
        json: bool,
    },
    /// Count items by area, sub-area, status, level, pillar and key position.
    Stats {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a verified account. The password comes from PALPATE_PASSWORD, or is asked for.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// student, practitioner, instructor or admin; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// List accounts (optionally those whose name or email contains QUERY).
    List {
        #[arg(long)]
        query: Option<String>,
    },
    /// Grant a role to an account.
    Grant {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
    },
    /// Revoke a role from an account.
    Revoke {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("palpate: configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("palpate: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli.command.unwrap_or(Command::Serve), settings));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("palpate: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr: a command's stdout carries only its output (JSON where asked).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => {
            let base = settings.base_url.clone();
            let app = Application::build(settings).await?;
            println!("Palpate is running at {base}  (Ctrl-C to stop)");
            app.run_until_stopped().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let applied = crate::services::maintenance::migrate(&settings).await?;
            if applied.is_empty() {
                println!("The database is up to date.");
            } else {
                for m in applied {
                    println!("applied {m}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Users(cmd) => users(cmd, settings).await,
        Command::Bank(cmd) => bank_command(cmd, settings).await,
        Command::Classes(cmd) => interchange::classes_command(cmd, settings).await,
        Command::Ce(cmd) => ce_command(cmd),
        Command::Backup { to } => {
            let report = tokio::task::spawn_blocking(move || {
                crate::services::backup::backup(&settings, &to)
            })
            .await??;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            let report = tokio::task::spawn_blocking(move || {
                crate::services::backup::restore(&settings, &file)
            })
            .await??;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Calibrate { stored: true, .. } => calibrate::stored_command(settings).await,
        Command::Calibrate {
            responses,
            model,
            anchor,
            json,
            ..
        } => calibrate_command(
            &responses.unwrap_or_default(),
            &model,
            anchor.as_deref(),
            json,
        ),
        Command::Simulate(args) => {
            let out = simulate(&args)?;
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::SimulateStudy(args) => study_sim::simulate_study_command(&args),
    }
}

/// `palpate ce …`: evaluate a scenario file, list the rules.
fn ce_command(cmd: CeCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CeCommand::Evaluate { input, dir } => {
            let text = std::fs::read_to_string(&input)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", input.display()))?;
            let Some(loaded) = folder_rules(dir.as_deref())? else {
                return Ok(ExitCode::from(2));
            };
            let set = match &loaded {
                Some(set) => set,
                None => crate::domain::ce::builtin().map_err(|e| anyhow::anyhow!("{e}"))?,
            };
            match crate::domain::ce::evaluate_scenario_json_with(&text, set) {
                Ok(out) => {
                    println!("{out}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("palpate: {}: {e}", input.display());
                    Ok(ExitCode::from(2))
                }
            }
        }
        CeCommand::Rules { json, dir } => {
            let Some(loaded) = folder_rules(dir.as_deref())? else {
                return Ok(ExitCode::from(2));
            };
            let set = match &loaded {
                Some(set) => set,
                None => crate::domain::ce::builtin().map_err(|e| anyhow::anyhow!("{e}"))?,
            };
            let list = crate::domain::ce::catalog::summaries(set);
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for r in list {
                    println!(
                        "{:<16} {:<2} {:<20} {:>5} h  {}  ({} of {} facts primary-sourced, {} unverified)",
                        r.id,
                        r.confidence,
                        r.kind_label,
                        r.total,
                        r.name,
                        r.coverage.primary,
                        r.coverage.facts,
                        r.unverified
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn parse_roles(raw: &[String]) -> anyhow::Result<Vec<Role>> {
    raw.iter()
        .map(|r| {
            Role::parse(r).ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown role {r:?}: use student, practitioner, instructor or admin"
                )
            })
        })
        .collect()
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("PALPATE_PASSWORD") {
        return Ok(p);
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Repeat the password: ")?;
    if first != second {
        anyhow::bail!("the two passwords differ");
    }
    Ok(first)
}

async fn users(cmd: UsersCommand, settings: Settings) -> anyhow::Result<ExitCode> {
    let state = startup::prepare(settings, Clock::system()).await?;
    let now = state.clock.now();
    match cmd {
        UsersCommand::Create { email, name, roles } => {
            let email = Email::parse(&email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
            let name = PersonName::parse(&name).map_err(|m| anyhow::anyhow!("--name: {m}"))?;
            let roles = parse_roles(&roles)?;
            let password = NewPassword::parse(&read_password()?)
                .map_err(|m| anyhow::anyhow!("password: {m}"))?;
            let hash = passwords::hash(password.expose().to_string(), state.settings.argon2_m_cost)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let (e2, n2) = (email.as_str().to_string(), name.as_str().to_string());
            let id = state
                .db(move |c| accounts::create_verified_blocking(c, &e2, &n2, &hash, &roles, now))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created user {id} <{email}>");
        }
        UsersCommand::List { query } => {
            let page = accounts::search_users(&state, query.unwrap_or_default(), 10_000, 0)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{:>6}  {:<32} {:<24} {:<8} {:<8} roles",
                "id", "email", "name", "verified", "active"
            );
            for u in page.users {
                let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
                println!(
                    "{:>6}  {:<32} {:<24} {:<8} {:<8} {}",
                    u.id,
                    u.email,
                    u.name,
                    u.verified,
                    u.active,
                    roles.join(",")
                );
            }
            println!("{} account(s)", page.total);
        }
        UsersCommand::Grant { email, role } | UsersCommand::Revoke { email, role }
            if Role::parse(&role).is_none() =>
        {
            anyhow::bail!(
                "unknown role {role:?} for {email}: use student, practitioner, instructor or admin"
            );
        }
        UsersCommand::Grant { email, role } => set_role(&state, &email, &role, true).await?,
        UsersCommand::Revoke { email, role } => set_role(&state, &email, &role, false).await?,
    }
    Ok(ExitCode::SUCCESS)
}

async fn set_role(
    state: &crate::services::AppState,
    email: &str,
    role: &str,
    grant: bool,
) -> anyhow::Result<()> {
    let role = parse_roles(&[role.to_string()])?[0];
    let email = Email::parse(email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
    let e2 = email.as_str().to_string();
    let user = accounts::find_by_email(state, e2)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(user) = user else {
        anyhow::bail!("no account with the email {email}")
    };
    let changed = accounts::set_role(state, user.id, role, grant)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let verb = if grant { "granted" } else { "revoked" };
    if changed {
        println!("{verb} {role} for {email}");
    } else {
        println!(
            "nothing to do: {email} {} {role}",
            if grant {
                "already has"
            } else {
                "does not have"
            }
        );
    }
    Ok(())
}

fn read_json(path: &std::path::Path, what: &str) -> anyhow::Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {what} file {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{what} file {} is not valid JSON: {e}", path.display()))
}

/// `palpate simulate`: the same engine code as the server, on simulated examinees.
fn simulate(args: &SimulateArgs) -> anyhow::Result<serde_json::Value> {
    use crate::domain::irt::sim::{self, BankItem, SimProgram};
    use crate::domain::irt::{Blueprint, StopRule};
    let bank: Vec<BankItem> = match (&args.bank, args.synthetic_bank) {
        (Some(p), _) => serde_json::from_value(read_json(p, "bank")?).map_err(|e| {
            anyhow::anyhow!(
                "bank file: expected [{{\"id\", \"a\", \"b\", \"c\", \"domain\"}}, ...]: {e}"
            )
        })?,
        (None, Some(n)) => sim::synthetic_bank(n, args.bank_seed),
        (None, None) => anyhow::bail!("give --bank FILE or --synthetic-bank N"),
    };
    if bank.is_empty() {
        anyhow::bail!("the bank is empty");
    }
    let thetas: Vec<f64> = match (&args.thetas, args.synthetic_simulees) {
        (Some(p), _) => {
            let v = read_json(p, "thetas")?;
            let list = v.get("thetas").cloned().unwrap_or(v);
            serde_json::from_value(list).map_err(|e| {
                anyhow::anyhow!(
                    "thetas file: expected {{\"thetas\": [numbers]}} or a list of numbers: {e}"
                )
            })?
        }
        (None, Some(n)) => sim::synthetic_thetas(n, 20240602),
        (None, None) => anyhow::bail!("give --thetas FILE or --synthetic-simulees N"),
    };
    if thetas.is_empty() || thetas.iter().any(|t| !t.is_finite()) {
        anyhow::bail!("thetas: give at least one finite number");
    }
    let which: SimProgram =
        serde_json::from_value(serde_json::json!(args.program)).map_err(|_| {
            anyhow::anyhow!(
                "--program must be readiness, readiness-expected-loss, mblex or cat-ci, not {:?}",
                args.program
            )
        })?;
    let blueprint = match &args.blueprint {
        Some(p) => {
            let weights: std::collections::BTreeMap<String, f64> =
                serde_json::from_value(read_json(p, "blueprint")?).map_err(|e| {
                    anyhow::anyhow!("blueprint file: expected {{\"DOMAIN\": weight, ...}}: {e}")
                })?;
            Blueprint::from_weights(weights).map_err(|e| anyhow::anyhow!("blueprint: {e}"))?
        }
        None => sim::proportional_blueprint(&bank).map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    let mut program = which.program(&blueprint);
    program.cut = args.cut;
    if let Some(n) = args.min_items {
        program.stopping.min_items = n;
    }
    if let Some(n) = args.max_items {
        program.stopping.max_items = n;
    }
    if let StopRule::Sprt { delta, alpha, beta } = &mut program.stopping.rule {
        *delta = args.delta.unwrap_or(*delta);
        *alpha = args.alpha.unwrap_or(*alpha);
        *beta = args.beta.unwrap_or(*beta);
    } else if args.delta.is_some() || args.alpha.is_some() || args.beta.is_some() {
        anyhow::bail!("--delta, --alpha and --beta apply to the SPRT (readiness) program only");
    }
    if let Some(p) = args.min_pass_probability {
        program.stopping.min_pass_probability = p;
    }
    if let Some(g) = args.curtail {
        program.stopping.curtail = (g > 0.0).then_some(g);
    }
    if matches!(program.stopping.rule, StopRule::None) {
        program.stopping.min_items = program.stopping.max_items;
    }
    program
        .validate()
        .map_err(|e| anyhow::anyhow!("program: {e}"))?;
    let seeds: Vec<u64> = (1..=args.seeds.max(1)).collect();
    let started = std::time::Instant::now();
    let report =
        sim::simulate(&bank, &thetas, &program, &seeds).map_err(|e| anyhow::anyhow!("{e}"))?;
    let wall = started.elapsed().as_secs_f64();
    let mut out = serde_json::to_value(&report)?;
    out["wall_time_s"] = serde_json::json!(wall / seeds.len() as f64);
    out["wall_time_total_s"] = serde_json::json!(wall);
    out["program"] = serde_json::json!(args.program);
    out["bank_items"] = serde_json::json!(bank.len());
    Ok(out)
}

mod bank_cmd;
mod calibrate;
mod interchange;
mod study_sim;
use bank_cmd::bank_command;
use calibrate::calibrate_command;

/// The rules of `--dir`: `Some(None)` without a folder (use the built-in rules), `None` when the
/// folder's files do not validate (said on stderr, naming the file and field). Errors are I/O.
fn folder_rules(
    dir: Option<&std::path::Path>,
) -> anyhow::Result<Option<Option<crate::domain::ce::RuleSet>>> {
    let Some(dir) = dir else {
        return Ok(Some(None));
    };
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|x| x == "toml") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((name, std::fs::read_to_string(&path)?));
        }
    }
    files.sort();
    match crate::domain::ce::RuleSet::parse(files.iter().map(|(n, t)| (n.as_str(), t.as_str()))) {
        Ok(set) => Ok(Some(Some(set))),
        Err(e) => {
            eprintln!("palpate: {e}");
            Ok(None)
        }
    }
}
