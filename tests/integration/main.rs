//! The one integration-test binary: black-box tests against the real server over HTTP.

mod helpers;

mod accounts;
mod admin;
mod api;
mod api_study;
mod authoring;
mod authz;
mod bank;
mod browser;
mod browser_classes;
mod browser_directory;
mod browser_study;
mod calibrate;
mod calibration_runs;
mod ce;
mod ce_credentials;
mod ce_rules;
mod classes;
mod crash;
mod directory;
mod directory_credentials;
mod directory_limits;
mod exams;
mod group_commit;
mod interchange;
mod outbox;
mod outcomes;
mod site;
mod snapshots;
mod study;
mod study_reminders;
mod trust;
