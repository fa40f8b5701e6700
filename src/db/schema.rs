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
    rate_limits (key) {
        key -> Text,
        window_start -> Timestamp,
        count -> Integer,
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
