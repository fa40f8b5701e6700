// One schema for both backends. Keep in step with migrations/{sqlite,postgres}.

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        state -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        resource -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    areas (code) {
        code -> Text,
        name -> Text,
        name_folded -> Text,
        level -> Text,
        kind -> Text,
        parent_code -> Nullable<Text>,
        lat -> Double,
        lon -> Double,
        area_km2 -> Nullable<Double>,
        remote -> Bool,
        second_round_unit_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    units (id) {
        id -> BigInt,
        code -> Text,
        name_vi -> Text,
        name_en -> Text,
        kind -> Text,
        parent_id -> Nullable<BigInt>,
        email -> Nullable<Text>,
        active -> Bool,
        sees_subunits -> Bool,
        is_coordinator -> Bool,
        merged_into_id -> Nullable<BigInt>,
        valid_from -> Nullable<Timestamp>,
        valid_to -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    unit_areas (unit_id, area_code) {
        unit_id -> BigInt,
        area_code -> Text,
    }
}

diesel::table! {
    categories (code) {
        code -> Text,
        parent_code -> Nullable<Text>,
        name_vi -> Text,
        name_en -> Text,
        default_kind -> Text,
        urgent -> Bool,
        active -> Bool,
        attributes -> Text,
        sort_order -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    unit_categories (unit_id, category_code) {
        unit_id -> BigInt,
        category_code -> Text,
    }
}

diesel::table! {
    routing_rules (id) {
        id -> BigInt,
        category_code -> Text,
        area_code -> Nullable<Text>,
        kind -> Nullable<Text>,
        unit_id -> BigInt,
        priority -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        full_name -> Text,
        password_hash -> Text,
        role -> Text,
        unit_id -> Nullable<BigInt>,
        locale -> Text,
        verified -> Bool,
        disabled -> Bool,
        notify_email -> Bool,
        notify_push -> Bool,
        erased_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        token_generation -> BigInt,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        code_hash -> Nullable<Text>,
        attempts -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    devices (id) {
        id -> BigInt,
        user_id -> BigInt,
        platform -> Text,
        address -> Text,
        environment -> Nullable<Text>,
        p256dh -> Nullable<Text>,
        auth_secret -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reference_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        window_start -> Timestamp,
        count -> Integer,
        last_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        channel -> Text,
        user_id -> Nullable<BigInt>,
        address -> Nullable<Text>,
        device_id -> Nullable<BigInt>,
        template -> Text,
        locale -> Text,
        data -> Text,
        dedup_key -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        claim_token -> Nullable<Text>,
    }
}

diesel::table! {
    tickets (id) {
        id -> BigInt,
        code -> Text,
        kind -> Text,
        category_code -> Text,
        title -> Text,
        description -> Text,
        search_text -> Text,
        lat -> Nullable<Double>,
        lon -> Nullable<Double>,
        area_code -> Text,
        address -> Nullable<Text>,
        attributes -> Text,
        submitter_id -> Nullable<BigInt>,
        anonymous -> Bool,
        tracking_secret_hash -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        contact_address -> Nullable<Text>,
        confidential -> Bool,
        private -> Bool,
        public -> Bool,
        answer_public -> Bool,
        channel -> Text,
        status -> Text,
        status_before_info -> Nullable<Text>,
        unit_id -> BigInt,
        assignee_id -> Nullable<BigInt>,
        priority -> Integer,
        round -> Integer,
        appeal_of_id -> Nullable<BigInt>,
        accused_unit_id -> Nullable<BigInt>,
        contested -> Nullable<Text>,
        filing_late -> Bool,
        complex -> Bool,
        remote -> Bool,
        policy_id -> Nullable<BigInt>,
        routing_reason -> Nullable<Text>,
        received_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        answer -> Nullable<Text>,
        withdrawal_requested -> Bool,
        overdue -> Bool,
        next_due_at -> Nullable<Timestamp>,
        reopen_count -> Integer,
        supporters -> Integer,
        duplicate_of_id -> Nullable<BigInt>,
        rating -> Nullable<Integer>,
        rating_comment -> Nullable<Text>,
        rated_at -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        accept_standing -> Nullable<Text>,
        accept_due_at -> Nullable<Timestamp>,
        resolve_standing -> Nullable<Text>,
        resolve_due_at -> Nullable<Timestamp>,
        extensions_used -> Integer,
        paused_once -> Bool,
        summarised -> Bool,
        info_requested_at -> Nullable<Timestamp>,
        info_lapsed -> Bool,
    }
}

diesel::table! {
    ticket_clocks (ticket_id, name) {
        ticket_id -> BigInt,
        name -> Text,
        counting -> Text,
        days -> Integer,
        lengths -> Text,
        extensions_used -> Integer,
        extensions_allowed -> Integer,
        extension_max_days -> Integer,
        starts_at -> Text,
        started_at -> Nullable<Timestamp>,
        stopped_at -> Nullable<Timestamp>,
        pauses -> Text,
        due_at -> Nullable<Timestamp>,
        reminded_75 -> Bool,
        reminded_last_day -> Bool,
        missed_at -> Nullable<Timestamp>,
        next_check_at -> Nullable<Timestamp>,
        due_inputs -> Nullable<Text>,
    }
}

diesel::table! {
    event_texts (id) {
        id -> BigInt,
        body -> Nullable<Text>,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ticket_events (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        seq -> Integer,
        kind -> Text,
        actor_id -> Nullable<BigInt>,
        actor_role -> Nullable<Text>,
        unit_id -> Nullable<BigInt>,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        public -> Bool,
        data -> Text,
        text_id -> Nullable<BigInt>,
        text_sha256 -> Nullable<Text>,
        created_at -> Timestamp,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    resumable_uploads (id) {
        id -> Text,
        uploader_id -> Nullable<BigInt>,
        scope -> Text,
        length -> BigInt,
        received -> BigInt,
        parts -> Text,
        metadata -> Nullable<Text>,
        upload_id -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    uploads (id) {
        id -> Text,
        uploader_id -> Nullable<BigInt>,
        scope -> Text,
        media_kind -> Text,
        size_bytes -> BigInt,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        storage_key -> Text,
        thumbnail_key -> Nullable<Text>,
        original_name -> Nullable<Text>,
        ticket_id -> Nullable<BigInt>,
        event_id -> Nullable<BigInt>,
        by_submitter -> Bool,
        publishable -> Bool,
        created_at -> Timestamp,
        attached_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ticket_supports (ticket_id, user_id) {
        ticket_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_followers (ticket_id, user_id) {
        ticket_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(unit_areas -> units (unit_id));
diesel::joinable!(unit_areas -> areas (area_code));
diesel::joinable!(unit_categories -> units (unit_id));
diesel::joinable!(unit_categories -> categories (category_code));
diesel::joinable!(routing_rules -> units (unit_id));
diesel::joinable!(users -> units (unit_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(devices -> users (user_id));
diesel::joinable!(tickets -> units (unit_id));
diesel::joinable!(tickets -> categories (category_code));
diesel::joinable!(tickets -> areas (area_code));
diesel::joinable!(ticket_clocks -> tickets (ticket_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(ticket_events -> event_texts (text_id));
diesel::joinable!(ticket_supports -> tickets (ticket_id));
diesel::joinable!(ticket_followers -> tickets (ticket_id));

diesel::allow_tables_to_appear_in_same_query!(
    areas,
    units,
    unit_areas,
    categories,
    unit_categories,
    routing_rules,
    users,
    refresh_tokens,
    email_tokens,
    devices,
    outbox,
    tickets,
    ticket_clocks,
    event_texts,
    ticket_events,
    uploads,
    ticket_supports,
    ticket_followers,
    sla_policies,
    calendar_days,
);

diesel::table! {
    sla_policies (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        round -> Nullable<Integer>,
        category_code -> Nullable<Text>,
        channel -> Nullable<Text>,
        urgent -> Bool,
        active -> Bool,
        clocks -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        working -> Bool,
        note -> Text,
        source -> Text,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(sla_policies -> categories (category_code));

diesel::table! {
    audit_roots (day) {
        day -> Date,
        events -> Integer,
        root -> Text,
        prev_root -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    admin_audit (id) {
        id -> BigInt,
        seq -> BigInt,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        target -> Text,
        data -> Text,
        created_at -> Timestamp,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        template -> Text,
        data -> Text,
        ticket_code -> Nullable<Text>,
        dedup_key -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
        change_tx -> BigInt,
    }
}

diesel::joinable!(notifications -> users (user_id));

diesel::table! {
    email_suppressions (id) {
        id -> BigInt,
        address_hash -> Text,
        scope -> Text,
        ticket_id -> Nullable<BigInt>,
        applies_to -> Text,
        unit_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(email_suppressions -> tickets (ticket_id));
diesel::joinable!(email_suppressions -> units (unit_id));
diesel::allow_tables_to_appear_in_same_query!(email_suppressions, tickets);
diesel::allow_tables_to_appear_in_same_query!(email_suppressions, units);

diesel::table! {
    notification_preferences (user_id) {
        user_id -> BigInt,
        new_ticket_email -> Text,
        new_ticket_push -> Text,
        assigned_email -> Text,
        assigned_push -> Text,
        due_soon_email -> Text,
        due_soon_push -> Text,
        overdue_email -> Text,
        overdue_push -> Text,
        citizen_reply_email -> Text,
        citizen_reply_push -> Text,
        digest_hour -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    digest_items (id) {
        id -> BigInt,
        user_id -> BigInt,
        channel -> Text,
        template -> Text,
        data -> Text,
        dedup_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    digests (user_id, local_date) {
        user_id -> BigInt,
        local_date -> Date,
        items -> Integer,
        created_at -> Timestamp,
    }
}

diesel::joinable!(notification_preferences -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(notification_preferences, users);
diesel::allow_tables_to_appear_in_same_query!(notification_preferences, devices);
diesel::joinable!(digest_items -> users (user_id));
diesel::joinable!(digests -> users (user_id));

diesel::table! {
    open311_clients (id) {
        id -> BigInt,
        name -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    open311_requests (ticket_id) {
        ticket_id -> BigInt,
        client_id -> BigInt,
        media_url -> Nullable<Text>,
        device_id -> Nullable<Text>,
    }
}

diesel::table! {
    follow_ups (id) {
        id -> BigInt,
        subject -> Text,
        subject_id -> BigInt,
        unit_id -> BigInt,
        title -> Text,
        opened_at -> Timestamp,
        due_at -> Timestamp,
        reminded_75 -> Bool,
        reminded_last_day -> Bool,
        missed_at -> Nullable<Timestamp>,
        done_at -> Nullable<Timestamp>,
        done_by -> Nullable<BigInt>,
        done_note -> Nullable<Text>,
        next_check_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(follow_ups -> units (unit_id));
diesel::allow_tables_to_appear_in_same_query!(follow_ups, units);

// --- citizen reception (src/workflow/receptions.rs) ----------------------------------------

diesel::table! {
    receptions (id) {
        id -> BigInt,
        unit_id -> BigInt,
        received_at -> Timestamp,
        place -> Text,
        kind -> Text,
        visitors -> Integer,
        group_size -> Nullable<Integer>,
        group_representatives -> Nullable<Integer>,
        summary -> Text,
        outcome -> Text,
        outcome_note -> Nullable<Text>,
        referred_unit_id -> Nullable<BigInt>,
        refusal_ground -> Nullable<Text>,
        ticket_id -> Nullable<BigInt>,
        recorded_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reception_visitors (id) {
        id -> BigInt,
        reception_id -> BigInt,
        position -> Integer,
        name -> Text,
        id_number_hash -> Nullable<Text>,
        id_number_tail -> Nullable<Text>,
        phone -> Nullable<Text>,
        address -> Nullable<Text>,
    }
}

diesel::table! {
    reception_hosts (reception_id, user_id) {
        reception_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::joinable!(reception_visitors -> receptions (reception_id));
diesel::joinable!(reception_hosts -> receptions (reception_id));
diesel::joinable!(reception_hosts -> users (user_id));
diesel::joinable!(receptions -> tickets (ticket_id));
diesel::allow_tables_to_appear_in_same_query!(receptions, reception_visitors, reception_hosts);
diesel::allow_tables_to_appear_in_same_query!(receptions, tickets);
diesel::allow_tables_to_appear_in_same_query!(receptions, units);
diesel::allow_tables_to_appear_in_same_query!(receptions, users);
diesel::allow_tables_to_appear_in_same_query!(reception_hosts, users);

diesel::table! {
    reception_days (id) {
        id -> BigInt,
        unit_id -> BigInt,
        day -> Date,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        place -> Text,
        host_id -> BigInt,
        slots -> Integer,
        cancelled_at -> Nullable<Timestamp>,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reception_bookings (id) {
        id -> BigInt,
        reception_day_id -> BigInt,
        user_id -> BigInt,
        topic -> Text,
        created_at -> Timestamp,
        cancelled_at -> Nullable<Timestamp>,
        reminded_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(reception_bookings -> reception_days (reception_day_id));
diesel::joinable!(reception_bookings -> users (user_id));
diesel::joinable!(reception_days -> units (unit_id));
diesel::allow_tables_to_appear_in_same_query!(reception_days, reception_bookings);
diesel::allow_tables_to_appear_in_same_query!(reception_days, units);
diesel::allow_tables_to_appear_in_same_query!(reception_days, unit_areas);
diesel::allow_tables_to_appear_in_same_query!(reception_bookings, users);

diesel::table! {
    dialogues (id) {
        id -> BigInt,
        unit_id -> BigInt,
        kind -> Text,
        title -> Text,
        topic -> Text,
        starts_at -> Timestamp,
        place -> Text,
        hosts -> Text,
        minutes -> Nullable<Text>,
        minutes_published_at -> Nullable<Timestamp>,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dialogue_areas (dialogue_id, area_code) {
        dialogue_id -> BigInt,
        area_code -> Text,
    }
}

diesel::table! {
    dialogue_questions (id) {
        id -> BigInt,
        dialogue_id -> BigInt,
        user_id -> BigInt,
        body -> Text,
        supporters -> Integer,
        answer -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        answered_by -> Nullable<BigInt>,
        commitment -> Nullable<Text>,
        commitment_unit_id -> Nullable<BigInt>,
        commitment_due_at -> Nullable<Timestamp>,
        follow_up_id -> Nullable<BigInt>,
        outcome_told -> Nullable<Text>,
        ticket_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dialogue_supports (question_id, user_id) {
        question_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(dialogue_areas -> dialogues (dialogue_id));
diesel::joinable!(dialogue_questions -> dialogues (dialogue_id));
diesel::joinable!(dialogue_supports -> dialogue_questions (question_id));
diesel::allow_tables_to_appear_in_same_query!(dialogues, dialogue_areas, dialogue_questions);
diesel::allow_tables_to_appear_in_same_query!(dialogue_questions, dialogue_supports);
diesel::allow_tables_to_appear_in_same_query!(dialogue_questions, tickets);
diesel::table! {
    resident_areas (user_id, area_code) {
        user_id -> BigInt,
        area_code -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    residents (user_id) {
        user_id -> BigInt,
        announcements_by_email -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    anonymous_devices (id) {
        id -> BigInt,
        platform -> Text,
        address -> Text,
        environment -> Nullable<Text>,
        p256dh -> Nullable<Text>,
        auth_secret -> Nullable<Text>,
        locale -> Text,
        token_hash -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    anonymous_device_areas (device_id, area_code) {
        device_id -> BigInt,
        area_code -> Text,
    }
}

diesel::table! {
    announcements (id) {
        id -> BigInt,
        unit_id -> BigInt,
        author_id -> BigInt,
        topic -> Text,
        title -> Text,
        body -> Text,
        search_text -> Text,
        attachments -> Text,
        pinned -> Bool,
        state -> Text,
        publish_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawal_reason -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    announcement_areas (announcement_id, area_code) {
        announcement_id -> BigInt,
        area_code -> Text,
    }
}

diesel::table! {
    announcement_attachments (upload_id) {
        upload_id -> Text,
        announcement_id -> BigInt,
    }
}

diesel::table! {
    announcement_history (id) {
        id -> BigInt,
        announcement_id -> BigInt,
        version -> Integer,
        action -> Text,
        actor_id -> Nullable<BigInt>,
        snapshot -> Text,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    announcement_reads (user_id, announcement_id) {
        user_id -> BigInt,
        announcement_id -> BigInt,
        read_at -> Timestamp,
    }
}

diesel::table! {
    announcement_fanouts (announcement_id) {
        announcement_id -> BigInt,
        due_at -> Timestamp,
        after_user_id -> BigInt,
        after_device_id -> BigInt,
        users_told -> BigInt,
        devices_told -> BigInt,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(resident_areas -> users (user_id));
diesel::joinable!(anonymous_device_areas -> anonymous_devices (device_id));
diesel::joinable!(announcements -> units (unit_id));
diesel::joinable!(announcement_areas -> announcements (announcement_id));
diesel::joinable!(announcement_history -> announcements (announcement_id));
diesel::joinable!(announcement_reads -> announcements (announcement_id));
diesel::joinable!(announcement_fanouts -> announcements (announcement_id));
diesel::allow_tables_to_appear_in_same_query!(
    resident_areas,
    residents,
    anonymous_devices,
    anonymous_device_areas,
    announcements,
    announcement_areas,
    announcement_attachments,
    announcement_history,
    announcement_reads,
    announcement_fanouts,
);
diesel::allow_tables_to_appear_in_same_query!(resident_areas, users);
diesel::allow_tables_to_appear_in_same_query!(residents, users);
diesel::allow_tables_to_appear_in_same_query!(resident_areas, areas);
diesel::allow_tables_to_appear_in_same_query!(announcement_areas, areas);
diesel::allow_tables_to_appear_in_same_query!(anonymous_device_areas, areas);
diesel::allow_tables_to_appear_in_same_query!(announcements, units);
diesel::allow_tables_to_appear_in_same_query!(announcement_attachments, uploads);

diesel::table! {
    consultations (id) {
        id -> BigInt,
        unit_id -> BigInt,
        author_id -> BigInt,
        title -> Text,
        summary -> Text,
        body -> Text,
        search_text -> Text,
        documents -> Text,
        questions -> Text,
        results_visibility -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        synthesis -> Nullable<Text>,
        decision -> Nullable<Text>,
        synthesis_published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    consultation_areas (consultation_id, area_code) {
        consultation_id -> BigInt,
        area_code -> Text,
    }
}

diesel::table! {
    consultation_documents (upload_id) {
        upload_id -> Text,
        consultation_id -> BigInt,
    }
}

diesel::table! {
    consultation_responses (consultation_id, user_id) {
        consultation_id -> BigInt,
        user_id -> BigInt,
        area_code -> Text,
        answers -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    consultation_comments (id) {
        id -> BigInt,
        consultation_id -> BigInt,
        user_id -> BigInt,
        body -> Text,
        signed -> Bool,
        supporters -> Integer,
        hidden_at -> Nullable<Timestamp>,
        hidden_by -> Nullable<BigInt>,
        hidden_reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    consultation_comment_supports (comment_id, user_id) {
        comment_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(consultation_areas -> consultations (consultation_id));
diesel::joinable!(consultation_responses -> consultations (consultation_id));
diesel::joinable!(consultation_comments -> consultations (consultation_id));
diesel::allow_tables_to_appear_in_same_query!(
    consultations,
    consultation_areas,
    consultation_documents,
    consultation_responses,
    consultation_comments,
    consultation_comment_supports,
);
diesel::allow_tables_to_appear_in_same_query!(consultation_comments, users);
diesel::allow_tables_to_appear_in_same_query!(consultation_areas, areas);
diesel::allow_tables_to_appear_in_same_query!(consultations, units);
diesel::allow_tables_to_appear_in_same_query!(consultation_documents, uploads);
