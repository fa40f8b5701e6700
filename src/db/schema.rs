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
