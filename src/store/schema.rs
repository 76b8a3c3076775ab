//! Diesel table definitions. Portable types only (see DESIGN.md): the same schema serves SQLite and
//! PostgreSQL through the `DbConn` multi-connection.

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        email_verified_at -> Nullable<Timestamp>,
        is_active -> Bool,
        session_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_roles (user_id, role) {
        user_id -> BigInt,
        role -> Text,
        granted_at -> Timestamp,
    }
}

diesel::table! {
    email_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        prefix -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        to_addr -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        reply_to -> Nullable<Text>,
    }
}

diesel::table! {
    auth_attempts (id) {
        id -> BigInt,
        action -> Text,
        subject -> Text,
        succeeded -> Bool,
        at -> Timestamp,
    }
}

diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(user_sessions -> users (user_id));
diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));

diesel::table! {
    bank_items (id) {
        id -> Text,
        subarea -> Text,
        area -> Text,
        status -> Text,
        live_version -> Nullable<Integer>,
        latest_version -> Integer,
        author_id -> Nullable<BigInt>,
        open_reports -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    bank_item_versions (id) {
        id -> BigInt,
        item_id -> Text,
        version -> Integer,
        status -> Text,
        content -> Text,
        content_hash -> Text,
        subarea -> Text,
        area -> Text,
        level -> Text,
        difficulty -> Text,
        key_letter -> Text,
        pillars -> Text,
        author -> Text,
        search_text -> Text,
        irt_a -> Double,
        irt_b -> Double,
        irt_c -> Double,
        calibrated -> Bool,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        pool_status -> Text,
    }
}

diesel::table! {
    bank_item_events (id) {
        id -> BigInt,
        item_id -> Text,
        version -> Integer,
        actor_id -> Nullable<BigInt>,
        actor -> Text,
        action -> Text,
        comment -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    bank_reports (id) {
        id -> BigInt,
        item_id -> Text,
        version -> Integer,
        reporter_id -> BigInt,
        message -> Text,
        status -> Text,
        resolution -> Nullable<Text>,
        resolved_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(bank_item_versions -> bank_items (item_id));
diesel::joinable!(bank_item_events -> bank_items (item_id));
diesel::joinable!(bank_reports -> bank_items (item_id));

diesel::table! {
    exams (id) {
        id -> BigInt,
        public_id -> Text,
        user_id -> BigInt,
        program -> Text,
        title -> Text,
        config -> Text,
        seed -> BigInt,
        prior_mu -> Double,
        seen -> Text,
        status -> Text,
        started_at -> Timestamp,
        deadline_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
        passed -> Nullable<Bool>,
        p_pass -> Nullable<Double>,
        theta -> Nullable<Double>,
        psd -> Nullable<Double>,
        scaled_score -> Nullable<Integer>,
        n_scored -> Integer,
        n_correct -> Integer,
        result -> Nullable<Text>,
        studied_at -> Nullable<Timestamp>,
        assignment_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    exam_items (id) {
        id -> BigInt,
        exam_id -> BigInt,
        position -> Integer,
        item_id -> Text,
        version -> Integer,
        area -> Text,
        scored -> Bool,
        option_order -> Text,
        presented_at -> Timestamp,
        chosen -> Nullable<Integer>,
        correct -> Nullable<Bool>,
        answered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(exam_items -> exams (exam_id));
diesel::joinable!(exams -> users (user_id));

diesel::table! {
    custom_programs (id) {
        id -> BigInt,
        owner_id -> BigInt,
        name -> Text,
        areas -> Text,
        length -> Integer,
        minutes -> Integer,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ce_profiles (user_id) {
        user_id -> BigInt,
        birth_date -> Nullable<Date>,
        reminders -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ce_credentials (id) {
        id -> BigInt,
        user_id -> BigInt,
        rule_id -> Text,
        number -> Nullable<Text>,
        issued_on -> Date,
        first_cycle -> Bool,
        cycle_start -> Nullable<Date>,
        cycle_end -> Nullable<Date>,
        deadline -> Nullable<Date>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ce_activities (id) {
        id -> BigInt,
        user_id -> BigInt,
        title -> Text,
        provider -> Text,
        completed_on -> Date,
        delivery -> Text,
        hours -> Double,
        unit -> Text,
        topics -> Text,
        approvals -> Text,
        certificate_sha -> Nullable<Text>,
        certificate_mime -> Nullable<Text>,
        certificate_name -> Nullable<Text>,
        certificate_size -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ce_credential_items (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        valid_from -> Nullable<Date>,
        valid_to -> Nullable<Date>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ce_reminders (id) {
        id -> BigInt,
        credential_id -> BigInt,
        deadline -> Date,
        kind -> Text,
        days_before -> Integer,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    ce_courses (id) {
        id -> BigInt,
        owner_id -> BigInt,
        title -> Text,
        reading -> Text,
        hours -> Double,
        topic -> Text,
        approvals -> Text,
        subareas -> Text,
        questions -> Integer,
        pass_percent -> Integer,
        published -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ce_certificates (id) {
        id -> BigInt,
        code -> Text,
        course_id -> BigInt,
        user_id -> BigInt,
        exam_id -> BigInt,
        score_percent -> Integer,
        activity_id -> Nullable<BigInt>,
        issued_at -> Timestamp,
    }
}

diesel::table! {
    ce_rule_reports (id) {
        id -> BigInt,
        rule_id -> Text,
        reporter_id -> BigInt,
        reason -> Text,
        source_url -> Nullable<Text>,
        status -> Text,
        resolution -> Nullable<Text>,
        resolved_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    user_sessions (id) {
        id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    calendar_feeds (user_id) {
        user_id -> BigInt,
        salt -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    calibration_runs (id) {
        id -> BigInt,
        started_at -> Timestamp,
        finished_at -> Timestamp,
        source -> Text,
        requested_by -> Nullable<BigInt>,
        model -> Text,
        n_responses -> BigInt,
        n_persons -> BigInt,
        n_items -> Integer,
        n_active -> Integer,
        n_graduated -> Integer,
        iterations -> Integer,
        converged -> Bool,
        log_likelihood -> Double,
        wall_time_s -> Double,
    }
}

diesel::table! {
    item_calibrations (id) {
        id -> BigInt,
        run_id -> BigInt,
        item_id -> Text,
        version -> Integer,
        pool_status -> Text,
        a -> Double,
        b -> Double,
        c -> Double,
        se_a -> Nullable<Double>,
        se_b -> Nullable<Double>,
        se_c -> Nullable<Double>,
        n -> BigInt,
        fit -> Double,
        active -> Bool,
    }
}

diesel::joinable!(item_calibrations -> calibration_runs (run_id));

diesel::table! {
    study_settings (user_id) {
        user_id -> BigInt,
        time_zone -> Text,
        study_days -> Text,
        study_hour -> Integer,
        study_weekday -> Integer,
        email_reminder -> Bool,
        last_reminded_on -> Nullable<Date>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    study_profiles (user_id) {
        user_id -> BigInt,
        target -> Text,
        exam_date -> Nullable<Date>,
        outcome_asked_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        plan_level -> Nullable<Integer>,
    }
}

diesel::table! {
    exam_outcomes (id) {
        id -> BigInt,
        user_id -> BigInt,
        target -> Text,
        taken_on -> Nullable<Date>,
        passed -> Nullable<Bool>,
        scaled_score -> Nullable<Integer>,
        declined -> Bool,
        p_pass_before -> Nullable<Double>,
        theta_before -> Nullable<Double>,
        reported_at -> Timestamp,
    }
}

diesel::table! {
    model_settings (name) {
        name -> Text,
        value -> Double,
        updated_at -> Timestamp,
        updated_by -> Nullable<BigInt>,
    }
}

diesel::joinable!(study_profiles -> users (user_id));
diesel::joinable!(study_settings -> users (user_id));

diesel::table! {
    bank_imports (id) {
        id -> Text,
        user_id -> BigInt,
        format -> Text,
        file_name -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(bank_imports -> users (user_id));

diesel::table! {
    classes (id) {
        id -> BigInt,
        name -> Text,
        term -> Text,
        exam_target -> Text,
        invite_code -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    class_teachers (class_id, user_id) {
        class_id -> BigInt,
        user_id -> BigInt,
        added_at -> Timestamp,
    }
}

diesel::table! {
    class_members (class_id, user_id) {
        class_id -> BigInt,
        user_id -> BigInt,
        joined_at -> Timestamp,
        left_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    assignments (id) {
        id -> BigInt,
        class_id -> BigInt,
        kind -> Text,
        title -> Text,
        areas -> Text,
        length -> Nullable<Integer>,
        program_id -> Nullable<BigInt>,
        opens_at -> Timestamp,
        due_at -> Timestamp,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(class_teachers -> classes (class_id));
diesel::joinable!(class_members -> classes (class_id));
diesel::joinable!(class_members -> users (user_id));
diesel::joinable!(class_teachers -> users (user_id));
diesel::joinable!(assignments -> classes (class_id));
diesel::joinable!(exam_outcomes -> users (user_id));

diesel::table! {
    study_cards (user_id, item_id) {
        user_id -> BigInt,
        item_id -> Text,
        due -> Timestamp,
        card -> Text,
        previous -> Nullable<Text>,
        reviews -> Integer,
        last_review -> Timestamp,
        last_correct -> Bool,
        guessed -> Bool,
        flagged -> Bool,
    }
}

diesel::joinable!(study_cards -> users (user_id));

diesel::table! {
    directory_profiles (user_id) {
        user_id -> BigInt,
        slug -> Text,
        display_name -> Text,
        practice_name -> Text,
        street -> Text,
        city -> Text,
        state -> Text,
        zip -> Text,
        latitude -> Double,
        longitude -> Double,
        phone -> Text,
        booking_url -> Text,
        techniques -> Text,
        modalities -> Text,
        conditions -> Text,
        populations -> Text,
        accepts_referrals -> Bool,
        accepts_insurance -> Bool,
        statement -> Text,
        show_ce -> Bool,
        published -> Bool,
        suspended_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    directory_verifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        credential_id -> BigInt,
        document_sha -> Text,
        document_mime -> Text,
        document_name -> Text,
        document_size -> BigInt,
        status -> Text,
        submitted_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        checked_against -> Nullable<Text>,
        note -> Nullable<Text>,
        expires_on -> Nullable<Date>,
    }
}

diesel::table! {
    directory_contacts (id) {
        id -> BigInt,
        profile_user_id -> BigInt,
        sender_name -> Text,
        sender_email -> Text,
        message -> Text,
        is_referral -> Bool,
        digest -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    directory_reports (id) {
        id -> BigInt,
        profile_user_id -> BigInt,
        reason -> Text,
        details -> Text,
        status -> Text,
        created_at -> Timestamp,
        resolved_by -> Nullable<BigInt>,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(directory_profiles -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    directory_profiles,
    directory_verifications,
    directory_contacts,
    directory_reports,
    bank_imports,
    classes,
    class_teachers,
    class_members,
    assignments,
    study_cards,
    study_profiles,
    study_settings,
    exam_outcomes,
    model_settings,
    calibration_runs,
    item_calibrations,
    calendar_feeds,
    user_sessions,
    ce_rule_reports,
    ce_courses,
    ce_certificates,
    ce_profiles,
    ce_credentials,
    ce_activities,
    ce_credential_items,
    ce_reminders,
    custom_programs,
    users,
    user_roles,
    email_tokens,
    api_tokens,
    outbox,
    auth_attempts,
    bank_items,
    bank_item_versions,
    bank_item_events,
    bank_reports,
    exams,
    exam_items,
);
