//! `palpate simulate-study`: the daily study plan on synthetic students (no database); prints one
//! JSON object on stdout.

use crate::domain::study_sim::{self, DEFAULT_BANK, SimConfig};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct SimulateStudyArgs {
    /// Synthetic students.
    #[arg(long, default_value_t = 1_000)]
    students: u32,
    /// Days of study; the exam is on the last one.
    #[arg(long, default_value_t = 60)]
    days: u32,
    /// Questions in the bank (the shipped bank has 1,215).
    #[arg(long, default_value_t = DEFAULT_BANK)]
    bank: u32,
    /// Seed of the students' parameters and answers.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn simulate_study_command(args: &SimulateStudyArgs) -> anyhow::Result<ExitCode> {
    let cfg = SimConfig {
        students: args.students,
        days: args.days,
        bank: args.bank,
        seed: args.seed,
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = std::time::Instant::now();
    let report = study_sim::simulate(&cfg, threads).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = serde_json::to_value(&report)?;
    out["wall_time_s"] = serde_json::json!(started.elapsed().as_secs_f64());
    out["threads"] = serde_json::json!(threads);
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}
