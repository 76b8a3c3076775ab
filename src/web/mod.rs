//! The HTTP layer: handlers parse and authorise, call one service function, and render.

pub mod api;
pub mod assets;
pub mod charts;
pub mod ctx;
pub mod forms;
pub mod middleware;
pub mod pages;
pub mod session;
pub mod upload;

use crate::error::AppError;
use actix_web::web;

/// Every route of the site.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(256 * 1024)
            .error_handler(|e, _| {
                tracing::debug!(error = %e, "unreadable form");
                match e {
                    actix_web::error::UrlencodedError::Overflow { .. } => AppError::BadRequest(
                        "The form is too large. Shorten what you entered and try again.".into(),
                    )
                    .into(),
                    _ => AppError::BadRequest(
                        "The form could not be read. Go back and try again.".into(),
                    )
                    .into(),
                }
            }),
    )
    .app_data(
        web::JsonConfig::default()
            .limit(1024 * 1024)
            .error_handler(|e, _| {
                use actix_web::error::JsonPayloadError as J;
                // API clients get where the parser stopped (they are developers), in our words.
                let message = match &e {
                    J::Deserialize(d) | J::Serialize(d) => {
                        format!("The JSON body could not be read: {d}.")
                    }
                    J::ContentType => {
                        "Send the body as JSON, with Content-Type: application/json.".into()
                    }
                    J::Overflow { .. } | J::OverflowKnownLength { .. } => {
                        "The JSON body is larger than 1 MB.".into()
                    }
                    _ => "The JSON body could not be read.".into(),
                };
                AppError::BadRequest(message).into()
            }),
    )
    .app_data(web::QueryConfig::default().error_handler(|e, _| {
        tracing::debug!(error = %e, "bad query string");
        AppError::BadRequest(
            "This address has a part we cannot read. Check the link, or start again from the menu."
                .into(),
        )
        .into()
    }))
    .app_data(web::PathConfig::default().error_handler(|_, _| AppError::not_found().into()))
    // The API first: its requests skip every page route, and a page request costs one prefix
    // comparison more.
    .configure(api::configure)
    .configure(accounts_classes_and_bank)
    .configure(practice_and_ce)
    .configure(directory_pages);
}

/// Pages of the therapist directory: public search and profiles, the therapist's own page, and
/// the administrators' review.
fn directory_pages(cfg: &mut web::ServiceConfig) {
    use pages::{directory, directory_admin};
    cfg.service(directory::search)
        .service(directory::profile)
        .service(directory::send_message)
        .service(directory::report_form)
        .service(directory::report)
        .service(directory::own_profile)
        .service(directory::save)
        .service(directory::publish)
        .service(directory::hide)
        .service(directory::request_verification)
        .service(directory_admin::queue)
        .service(directory_admin::document)
        .service(directory_admin::decide)
        .service(directory_admin::revoke)
        .service(directory_admin::confirm_hide)
        .service(directory_admin::resolve)
        .service(directory_admin::restore);
}

/// Pages of accounts, administration, classes and the question bank (in matching order).
fn accounts_classes_and_bank(cfg: &mut web::ServiceConfig) {
    use pages::{account, admin, auth, bank, bank_io, calibration, classes, home, outcomes};
    cfg.service(home::home)
        .service(home::dashboard)
        .service(home::register_alias)
        .service(home::healthz)
        .service(home::readyz)
        .service(auth::signup_page)
        .service(auth::signup)
        .service(auth::verify)
        .service(auth::resend_page)
        .service(auth::resend)
        .service(auth::login_page)
        .service(auth::login)
        .service(auth::logout)
        .service(auth::forgot_page)
        .service(auth::forgot)
        .service(auth::reset_page)
        .service(auth::reset)
        .service(account::show)
        .service(account::update_profile)
        .service(account::change_password)
        .service(account::end_sessions)
        .service(account::create_token)
        .service(account::confirm_revoke_token)
        .service(account::revoke_token)
        .service(admin::users)
        .service(admin::user)
        .service(admin::set_role)
        .service(admin::confirm_deactivate)
        .service(admin::deactivate)
        .service(admin::reactivate)
        .service(classes::list)
        .service(classes::create)
        .service(classes::join_page)
        .service(classes::join)
        .service(classes::gradebook_csv)
        .service(classes::export)
        .service(classes::gradebook)
        .service(classes::mine)
        .service(classes::confirm_leave)
        .service(classes::leave)
        .service(classes::analysis)
        .service(classes::start)
        .service(classes::add_assignment)
        .service(classes::add_teacher)
        .service(classes::show)
        .service(bank::browse)
        .service(bank_io::import_page)
        .service(bank_io::upload_file)
        .service(bank_io::preview)
        .service(bank_io::confirm)
        .service(bank_io::discard)
        .service(bank_io::export)
        .service(bank::new_page)
        .service(bank::create)
        .service(bank::item)
        .service(bank::confirm_retire)
        .service(bank::edit_page)
        .service(bank::edit)
        .service(bank::transition)
        .service(bank::comment)
        .service(bank::reports_queue)
        .service(bank::resolve)
        .service(bank::report_page)
        .service(bank::report)
        .service(bank::my_reports)
        .service(calibration::runs)
        .service(calibration::run)
        .service(outcomes::validity)
        .service(outcomes::adopt)
        .service(outcomes::calibrate);
}

/// Pages of practice, study, CE and the assets (in matching order).
fn practice_and_ce(cfg: &mut web::ServiceConfig) {
    use pages::{ce, ce_rules, courses, exams, outcomes, programs, study, study_settings};
    cfg.service(exams::index)
        .service(outcomes::show)
        .service(outcomes::plan)
        .service(outcomes::report)
        .service(exams::start)
        .service(exams::show)
        .service(exams::confirm_end)
        .service(exams::end)
        .service(exams::answer)
        .service(exams::answered_item)
        .service(exams::result)
        .service(exams::review)
        .service(programs::index)
        .service(programs::create)
        .service(programs::confirm_archive)
        .service(programs::archive)
        .service(study::index)
        .service(study_settings::show)
        .service(study_settings::save)
        .service(study_settings::calendar)
        .service(study_settings::reset_calendar)
        .service(study::start)
        .service(study::flag)
        .service(study::guessed)
        .service(study::decks)
        .service(study::next_card)
        .service(study::show_answer)
        .service(study::rate)
        .service(ce_rules::index)
        .service(ce_rules::show)
        .service(ce_rules::report_page)
        .service(ce_rules::report)
        .service(ce_rules::queue)
        .service(ce_rules::resolve)
        .service(ce::index)
        .service(ce::new_credential)
        .service(ce::add_credential)
        .service(ce::confirm_remove_credential)
        .service(ce::remove_credential)
        .service(ce::set_cycle)
        .service(ce::set_number)
        .service(ce::new_activity)
        .service(ce::add_activity)
        .service(ce::certificate)
        .service(ce::confirm_remove_activity)
        .service(ce::remove_activity)
        .service(ce::add_item)
        .service(ce::confirm_remove_item)
        .service(ce::remove_item)
        .service(ce::profile)
        .service(ce::transcript)
        .service(ce::audit_pack)
        .service(ce::transcript_pdf)
        .service(ce::calendar)
        .service(ce::reset_calendar)
        .service(courses::index)
        .service(courses::create)
        .service(courses::list)
        .service(courses::show)
        .service(courses::certificate_pdf)
        .service(courses::verify_form)
        .service(courses::verify)
        .service(assets::file)
        .service(assets::favicon);
}
