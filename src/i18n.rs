//! The two languages nghedan speaks, and the words of its problems.
//!
//! Vietnamese is the default; `Accept-Language` picks English when it prefers `en`.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The best of vi/en for an `Accept-Language` header (RFC 9110 q-values); Vietnamese when
    /// the header is missing or names neither.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::Vi;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").map(str::to_owned))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "vi" => Lang::Vi,
                "en" => Lang::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::Vi)
    }

    /// Picks the text in this language.
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

/// Replaces `{name}` in `template` with the matching argument.
pub fn fill(template: &str, args: &[(&'static str, String)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// Title and detail of a problem `code`, as (vi, en) pairs.
pub fn problem_text(code: &str) -> ((&'static str, &'static str), (&'static str, &'static str)) {
    match code {
        "malformed_json" => (
            ("JSON không hợp lệ", "Malformed JSON"),
            (
                "Nội dung yêu cầu không phải JSON hợp lệ: {reason}",
                "The request body is not valid JSON: {reason}",
            ),
        ),
        "unsupported_media_type" => (
            ("Kiểu nội dung không được hỗ trợ", "Unsupported media type"),
            (
                "Hãy gửi nội dung với Content-Type: {expected}.",
                "Send the body with Content-Type: {expected}.",
            ),
        ),
        "payload_too_large" => (
            ("Nội dung quá lớn", "Payload too large"),
            (
                "Nội dung yêu cầu vượt quá giới hạn {limit} byte.",
                "The request body exceeds the limit of {limit} bytes.",
            ),
        ),
        "malformed_multipart" => (
            ("Biểu mẫu không hợp lệ", "Malformed form"),
            (
                "Nội dung multipart/form-data không đọc được: {reason}",
                "The multipart/form-data body cannot be read: {reason}",
            ),
        ),
        "route_not_found" => (
            ("Không tìm thấy", "Not found"),
            (
                "Không có địa chỉ {path} trong API. Xem tài liệu tại /docs.",
                "There is no {path} in this API. See the documentation at /docs.",
            ),
        ),
        "bad_request" => (
            ("Yêu cầu không hợp lệ", "Bad request"),
            (
                "Máy chủ không hiểu yêu cầu này; hãy kiểm tra đường dẫn, tham số và tiêu đề.",
                "The server could not understand this request; check its path, parameters and headers.",
            ),
        ),
        "method_not_allowed" => (
            ("Phương thức không được phép", "Method not allowed"),
            (
                "Địa chỉ này không nhận phương thức {method}.",
                "This address does not accept {method}.",
            ),
        ),
        "validation_failed" => (
            ("Dữ liệu không hợp lệ", "Validation failed"),
            (
                "Một số trường không hợp lệ; xem danh sách errors.",
                "Some fields are invalid; see the errors list.",
            ),
        ),
        "unauthenticated" => (
            ("Chưa đăng nhập", "Not signed in"),
            (
                "Hãy đăng nhập và gửi mã truy cập trong tiêu đề Authorization.",
                "Sign in and send the access token in the Authorization header.",
            ),
        ),
        "action_forbidden" => (
            ("Không được phép", "Action forbidden"),
            (
                "Tài khoản của bạn không được thực hiện thao tác này.",
                "Your account may not perform this action.",
            ),
        ),
        "report_scope_forbidden" => (
            ("Ngoài phạm vi giám sát", "Outside your oversight"),
            (
                "Đơn vị này không thuộc phạm vi bạn giám sát.",
                "This unit is not in the subtree you oversee.",
            ),
        ),
        "invalid_transition" => (
            (
                "Không thể thực hiện ở trạng thái hiện tại",
                "Invalid transition",
            ),
            (
                "Thao tác {action} không thực hiện được khi đang ở trạng thái {state}.",
                "The action {action} is not possible in the state {state}.",
            ),
        ),
        "headers_too_large" => (
            ("Tiêu đề yêu cầu quá lớn", "Request headers too large"),
            (
                "Dòng yêu cầu và các tiêu đề vượt quá {limit} byte.",
                "The request line and headers exceed {limit} bytes.",
            ),
        ),
        "content_encoding_unsupported" => (
            ("Không nhận nội dung nén", "Compressed body not accepted"),
            (
                "Hãy gửi nội dung yêu cầu không nén (không có Content-Encoding).",
                "Send the request body uncompressed (no Content-Encoding).",
            ),
        ),
        "encoding_not_acceptable" => (
            ("Không có cách mã hoá phù hợp", "No acceptable encoding"),
            (
                "Accept-Encoding loại trừ mọi cách mã hoá máy chủ có (br, gzip, identity).",
                "Accept-Encoding rules out every encoding the server has (br, gzip, identity).",
            ),
        ),
        "cors_origin_not_allowed" => (
            ("Nguồn gốc không được phép", "Origin not allowed"),
            (
                "Trang web ở nguồn gốc này không được phép gọi API.",
                "Web pages on this origin may not call the API.",
            ),
        ),
        "cors_request_refused" => (
            ("Yêu cầu CORS bị từ chối", "CORS request refused"),
            (
                "Phương thức hoặc tiêu đề trong yêu cầu kiểm tra trước (preflight) không được phép.",
                "The method or headers named in the preflight request are not allowed.",
            ),
        ),
        "app_version_invalid" => (
            ("X-App-Version không hợp lệ", "Invalid X-App-Version"),
            (
                "X-App-Version phải có dạng <nền tảng>/<phiên bản>, nền tảng là android, ios hoặc web và phiên bản theo semver, ví dụ android/2.4.1.",
                "X-App-Version must be <platform>/<version>, the platform android, ios or web and the version a semantic version, e.g. android/2.4.1.",
            ),
        ),
        "invalid_sync_token" => (
            ("sync_token không hợp lệ", "Invalid sync_token"),
            (
                "sync_token phải là giá trị do lần đồng bộ trước trả về, không sửa đổi.",
                "sync_token must be the value a previous sync returned, unchanged.",
            ),
        ),
        "invalid_timestamp" => (
            ("Thời điểm không hợp lệ", "Invalid timestamp"),
            (
                "Thời điểm phải theo RFC 3339, ví dụ 2026-12-06T01:30:00Z.",
                "The time must be RFC 3339, e.g. 2026-12-06T01:30:00Z.",
            ),
        ),
        "sync_params_conflict" => (
            ("Tham số đồng bộ xung đột", "Conflicting sync parameters"),
            (
                "Dùng sync_token hoặc thời điểm bắt đầu, không dùng cả hai, và không kèm after hay status.",
                "Pass either sync_token or a start time, not both, and neither with after or status.",
            ),
        ),
        "tus_version_unsupported" => (
            ("Phiên bản tus không được hỗ trợ", "Unsupported tus version"),
            (
                "Máy chủ chỉ hỗ trợ tus 1.0.0: gửi tiêu đề Tus-Resumable: 1.0.0.",
                "This server speaks tus 1.0.0 only: send Tus-Resumable: 1.0.0.",
            ),
        ),
        "upload_length_invalid" => (
            ("Upload-Length không hợp lệ", "Invalid Upload-Length"),
            (
                "Upload-Length phải là số byte của tệp (từ 1), gửi khi tạo lượt tải.",
                "Upload-Length must give the file's size in bytes (1 or more) when the upload is created.",
            ),
        ),
        "upload_offset_invalid" => (
            ("Upload-Offset không hợp lệ", "Invalid Upload-Offset"),
            (
                "Upload-Offset phải là số byte đã gửi trước đó.",
                "Upload-Offset must give the number of bytes sent before.",
            ),
        ),
        "upload_metadata_invalid" => (
            ("Upload-Metadata không hợp lệ", "Invalid Upload-Metadata"),
            (
                "Upload-Metadata phải là các cặp \"khóa giá-trị-base64\" cách nhau bởi dấu phẩy.",
                "Upload-Metadata must be comma-separated \"key base64-value\" pairs.",
            ),
        ),
        "upload_too_many_parts" => (
            ("Tải lên bị chia quá nhỏ", "Upload in too many parts"),
            (
                "Một lượt tải lên được gửi tối đa {max} phần; hãy gửi các phần lớn hơn hoặc bắt đầu lại.",
                "An upload may come in at most {max} parts; send larger parts or start again.",
            ),
        ),
        "upload_offset_mismatch" => (
            ("Sai vị trí tải lên", "Upload offset mismatch"),
            (
                "Máy chủ đã nhận {received} byte; hỏi lại bằng HEAD rồi gửi tiếp từ đó.",
                "The server has {received} bytes; ask again with HEAD and go on from there.",
            ),
        ),
        "app_upgrade_required" => (
            ("Cần cập nhật ứng dụng", "App update required"),
            (
                "Phiên bản ứng dụng {version} đã cũ; hãy cập nhật lên {minimum} hoặc mới hơn.",
                "App version {version} is too old; update to {minimum} or later.",
            ),
        ),
        "precondition_failed" => (
            ("Phiếu đã thay đổi", "The ticket has changed"),
            (
                "Phiếu đã thay đổi từ lần bạn đọc nó (If-Match không khớp ETag hiện tại). Hãy tải lại rồi thử lại.",
                "The ticket changed since you read it (If-Match does not match its current ETag). Reload it and try again.",
            ),
        ),
        "webpush_not_configured" => (
            ("Chưa bật Web Push", "Web Push is off"),
            (
                "Máy chủ này không gửi thông báo Web Push.",
                "This server sends no Web Push notifications.",
            ),
        ),
        "request_timeout" => (
            ("Hết thời gian chờ yêu cầu", "Request timeout"),
            (
                "Máy khách gửi yêu cầu quá chậm.",
                "The client sent its request too slowly.",
            ),
        ),
        "too_many_streams" => (
            ("Quá nhiều kết nối cập nhật", "Too many live-update streams"),
            (
                "Tài khoản này đã mở tối đa {limit} kết nối nhận cập nhật; hãy đóng bớt một kết nối hoặc thử lại sau {retry_after} giây.",
                "This account already has {limit} live-update streams open; close one or try again in {retry_after} seconds.",
            ),
        ),
        "rate_limited" => (
            ("Quá nhiều yêu cầu", "Too many requests"),
            (
                "Bạn đã gửi quá nhiều yêu cầu; hãy thử lại sau {retry_after} giây.",
                "Too many requests; try again in {retry_after} seconds.",
            ),
        ),
        "service_unavailable" => (
            ("Dịch vụ tạm thời gián đoạn", "Service unavailable"),
            (
                "Máy chủ đang quá tải hoặc cơ sở dữ liệu tạm thời không truy cập được; hãy thử lại sau {retry_after} giây.",
                "The server is overloaded or its database cannot be reached right now; try again in {retry_after} seconds.",
            ),
        ),
        "idempotency_key_missing" => (
            ("Thiếu Idempotency-Key", "Idempotency-Key missing"),
            (
                "Yêu cầu này cần tiêu đề Idempotency-Key (một chuỗi ngẫu nhiên, 8–255 ký tự) để gửi lại an toàn.",
                "This request needs an Idempotency-Key header (a random string, 8–255 characters) so that it can be retried safely.",
            ),
        ),
        "idempotency_key_invalid" => (
            ("Idempotency-Key không hợp lệ", "Invalid Idempotency-Key"),
            (
                "Idempotency-Key phải dài 8–255 ký tự ASCII in được.",
                "The Idempotency-Key must be 8–255 printable ASCII characters.",
            ),
        ),
        "idempotency_key_reused" => (
            (
                "Idempotency-Key đã dùng cho yêu cầu khác",
                "Idempotency-Key reused",
            ),
            (
                "Khoá này đã được dùng với một nội dung khác; hãy dùng khoá mới cho yêu cầu mới.",
                "This key was used with a different body; use a new key for a new request.",
            ),
        ),
        "idempotency_in_progress" => (
            ("Yêu cầu đang được xử lý", "Request in progress"),
            (
                "Yêu cầu trước với cùng Idempotency-Key chưa xong; hãy thử lại sau {retry_after} giây.",
                "The earlier request with this Idempotency-Key is still running; retry in {retry_after} seconds.",
            ),
        ),
        "email_taken" => (
            ("Email đã được dùng", "Email already registered"),
            (
                "Đã có tài khoản với địa chỉ email này. Hãy đăng nhập hoặc đặt lại mật khẩu.",
                "An account with this email address exists. Sign in or reset the password.",
            ),
        ),
        "invalid_credentials" => (
            ("Sai thông tin đăng nhập", "Wrong email or password"),
            (
                "Email hoặc mật khẩu không đúng.",
                "The email or the password is not right.",
            ),
        ),
        "invalid_token" => (
            ("Mã truy cập không hợp lệ", "Invalid token"),
            (
                "Mã truy cập không hợp lệ; hãy đăng nhập lại.",
                "The token is not valid; sign in again.",
            ),
        ),
        "token_expired" => (
            ("Mã truy cập đã hết hạn", "Token expired"),
            (
                "Mã truy cập đã hết hạn; hãy dùng refresh token hoặc đăng nhập lại.",
                "The token has expired; refresh it or sign in again.",
            ),
        ),
        "refresh_token_reused" => (
            ("Phiên đăng nhập đã bị thu hồi", "Session revoked"),
            (
                "Refresh token này đã được dùng trước đó; để an toàn, phiên đăng nhập đã bị thu hồi. Hãy đăng nhập lại.",
                "This refresh token was used before; for safety the whole session was revoked. Sign in again.",
            ),
        ),
        "account_disabled" => (
            ("Tài khoản bị khoá", "Account disabled"),
            (
                "Tài khoản này đã bị khoá hoặc xoá.",
                "This account is disabled or erased.",
            ),
        ),
        "verification_failed" => (
            ("Xác nhận không thành công", "Verification failed"),
            (
                "Mã hoặc liên kết xác nhận không đúng, đã dùng hoặc đã hết hạn. Hãy yêu cầu gửi lại.",
                "The code or link is wrong, used or expired. Ask for a new one.",
            ),
        ),
        "reset_token_invalid" => (
            (
                "Liên kết đặt lại mật khẩu không hợp lệ",
                "Invalid reset link",
            ),
            (
                "Liên kết đặt lại mật khẩu sai, đã dùng hoặc đã hết hạn. Hãy yêu cầu gửi lại.",
                "The reset link is wrong, used or expired. Ask for a new one.",
            ),
        ),
        "email_not_verified" => (
            ("Email chưa được xác nhận", "Email not verified"),
            (
                "Hãy xác nhận địa chỉ email trước khi gửi đơn có tên.",
                "Confirm your email address before sending a named submission.",
            ),
        ),
        "open_cases" => (
            ("Còn vụ việc đang giải quyết", "Open cases"),
            (
                "Bạn còn khiếu nại hoặc tố cáo đang được giải quyết; không thể xoá dữ liệu cho đến khi kết thúc.",
                "You have a complaint or denunciation still being handled; your data cannot be erased until it ends.",
            ),
        ),
        "user_not_found"
        | "device_not_found"
        | "unit_not_found"
        | "area_not_found"
        | "category_not_found"
        | "rule_not_found"
        | "ticket_not_found"
        | "attachment_not_found"
        | "announcement_not_found"
        | "consultation_not_found"
        | "comment_not_found"
        | "response_not_found"
        | "upload_not_found"
        | "policy_not_found"
        | "resource_not_found" => (
            ("Không tìm thấy", "Not found"),
            (
                "Không tìm thấy đối tượng này, hoặc bạn không có quyền xem.",
                "It does not exist, or you may not see it.",
            ),
        ),
        "unit_code_taken" | "category_code_taken" => (
            ("Mã đã được dùng", "Code already in use"),
            (
                "Đã có một mục khác với mã này; mã là duy nhất.",
                "Another entry has this code; codes are unique.",
            ),
        ),
        "unit_cycle" | "category_cycle" => (
            ("Vòng lặp trong cây", "Cycle in the tree"),
            (
                "Không thể đặt một mục làm cấp trên của chính nó hoặc của cấp trên nó.",
                "An entry cannot become its own parent or an ancestor's child.",
            ),
        ),
        "unit_has_tickets" => (
            ("Đơn vị còn phiếu", "Unit holds tickets"),
            (
                "Đơn vị còn giữ phiếu phản ánh; hãy sáp nhập đơn vị vào đơn vị khác thay vì xoá.",
                "The unit still holds tickets; merge it into another unit instead of deleting it.",
            ),
        ),
        "unit_has_subunits" => (
            ("Đơn vị còn đơn vị trực thuộc", "Unit has subunits"),
            (
                "Hãy chuyển hoặc xoá các đơn vị trực thuộc trước.",
                "Move or delete its subunits first.",
            ),
        ),
        "unit_has_staff" => (
            ("Đơn vị còn cán bộ", "Unit has staff"),
            (
                "Hãy chuyển cán bộ sang đơn vị khác trước (hoặc sáp nhập đơn vị).",
                "Move its staff to another unit first (or merge the unit).",
            ),
        ),
        "unit_has_rules" => (
            ("Đơn vị còn quy tắc điều phối", "Unit has routing rules"),
            (
                "Hãy xoá hoặc sửa các quy tắc điều phối trỏ tới đơn vị này trước.",
                "Delete or change the routing rules that point at this unit first.",
            ),
        ),
        "unit_inactive" => (
            ("Đơn vị không còn hoạt động", "Unit inactive"),
            (
                "Đơn vị này đã ngừng hoạt động.",
                "This unit is no longer active.",
            ),
        ),
        "category_in_use" => (
            ("Lĩnh vực đang được dùng", "Category in use"),
            (
                "Lĩnh vực còn lĩnh vực con, quy tắc, đơn vị hoặc phiếu; hãy ngừng kích hoạt thay vì xoá.",
                "The category has subcategories, rules, units or tickets; deactivate it instead.",
            ),
        ),
        "no_route" => (
            ("Không tìm được đơn vị tiếp nhận", "No unit to route to"),
            (
                "Không có quy tắc, UBND hay đơn vị điều phối nào nhận được nội dung này.",
                "No rule, people's committee or coordinating unit can take this submission.",
            ),
        ),
        "concurrent_update" => (
            ("Có thay đổi đồng thời", "Concurrent change"),
            (
                "Phiếu vừa được thay đổi bởi thao tác khác; hãy thử lại sau {retry_after} giây.",
                "The ticket was just changed by another action; try again in {retry_after} seconds.",
            ),
        ),
        "already_appealed" => (
            ("Đã khiếu nại lần hai", "Already appealed"),
            (
                "Khiếu nại này đã được khiếu nại lần hai; theo dõi phiếu khiếu nại lần hai đã tạo.",
                "This complaint has already been appealed; follow the second-round complaint that was created.",
            ),
        ),
        "already_rated" => (
            ("Đã đánh giá", "Already rated"),
            (
                "Câu trả lời này đã được đánh giá; mở lại phiếu để đánh giá lần sau.",
                "This answer was already rated; a reopened ticket can be rated again.",
            ),
        ),
        "extensions_exhausted" => (
            ("Hết số lần gia hạn", "No extensions left"),
            (
                "Thời hạn này đã được gia hạn tối đa số lần pháp luật cho phép.",
                "This deadline was already extended as many times as the law allows.",
            ),
        ),
        "not_a_public_petition" => (
            ("Không phải kiến nghị công khai", "Not a public petition"),
            (
                "Chỉ ủng hộ được kiến nghị đang công khai.",
                "Only public petitions can be supported.",
            ),
        ),
        "accused_unit" => (
            ("Đơn vị bị tố cáo", "The accused unit"),
            (
                "Tố cáo không bao giờ do đơn vị bị tố cáo (hay đơn vị mà cán bộ của nó xem được) xử lý.",
                "A denunciation is never handled by the unit it accuses, nor where that unit's officials could see it.",
            ),
        ),
        "override_not_found" => (
            ("Không có ngày điều chỉnh", "No override"),
            (
                "Ngày này không có điều chỉnh lịch làm việc để xoá.",
                "This date has no calendar override to remove.",
            ),
        ),
        "unsubscribe_link_invalid" => (
            ("Liên kết không hợp lệ", "Invalid link"),
            (
                "Liên kết huỷ đăng ký này không hợp lệ hoặc không còn dùng được.",
                "This unsubscribe link is not valid, or no longer is.",
            ),
        ),
        "consultation_closed" => (
            ("Đã hết hạn lấy ý kiến", "Consultation closed"),
            (
                "Cuộc lấy ý kiến này đã kết thúc; không thể gửi hay sửa ý kiến nữa.",
                "This consultation has closed; answers and comments can no longer be sent or changed.",
            ),
        ),
        "consultation_not_open" => (
            ("Chưa mở lấy ý kiến", "Consultation not open yet"),
            (
                "Cuộc lấy ý kiến này chưa bắt đầu; hãy quay lại từ thời điểm mở.",
                "This consultation has not opened yet; come back when it opens.",
            ),
        ),
        "consultation_open" => (
            ("Đang lấy ý kiến", "Consultation still open"),
            (
                "Chỉ công bố báo cáo tiếp thu, giải trình sau khi kết thúc lấy ý kiến.",
                "The synthesis is published only after the consultation closes.",
            ),
        ),
        "synthesis_published" => (
            ("Đã công bố báo cáo", "Synthesis already published"),
            (
                "Báo cáo tiếp thu, giải trình của cuộc lấy ý kiến này đã được công bố.",
                "The synthesis of this consultation has already been published.",
            ),
        ),
        "verification_required" => (
            ("Tài khoản chưa được xác nhận", "Account not verified"),
            (
                "Hãy xác nhận địa chỉ email trước khi tham gia lấy ý kiến.",
                "Confirm your email address before taking part in a consultation.",
            ),
        ),
        "not_a_resident" => (
            (
                "Không thuộc khu vực lấy ý kiến",
                "Not a resident of its areas",
            ),
            (
                "Chỉ người dân sinh sống hoặc theo dõi khu vực được lấy ý kiến mới tham gia được; hãy chọn khu vực của bạn tại /me/areas.",
                "Only residents who live in or follow one of its areas may take part; choose your areas at /me/areas.",
            ),
        ),
        "own_comment" => (
            ("Ý kiến của chính bạn", "Your own comment"),
            (
                "Bạn không thể ủng hộ ý kiến của chính mình.",
                "You cannot support your own comment.",
            ),
        ),
        "results_not_public" => (
            ("Chưa công khai kết quả", "Results not public yet"),
            (
                "Kết quả được công khai sau khi kết thúc lấy ý kiến.",
                "The results are made public once the consultation closes.",
            ),
        ),
        "area_outside_unit" => (
            ("Ngoài địa bàn của đơn vị", "Outside the unit's areas"),
            (
                "Thông báo chỉ được gửi tới các khu vực thuộc địa bàn của đơn vị; xem danh sách errors.",
                "An announcement may only address the areas the unit serves; see the errors list.",
            ),
        ),
        "open311_client_exists" => (
            ("Tên đã được dùng", "Name taken"),
            (
                "Đã có một ứng dụng Open311 mang tên này (kể cả đã thu hồi); hãy chọn tên khác.",
                "An Open311 client already has this name (a revoked one too); choose another.",
            ),
        ),
        "open311_client_not_found" => (
            ("Không tìm thấy", "Not found"),
            (
                "Không có ứng dụng Open311 nào đang hoạt động mang tên này.",
                "No active Open311 client has this name.",
            ),
        ),
        "follow_up_not_found" => (
            ("Không tìm thấy", "Not found"),
            (
                "Không có việc cần theo dõi nào với mã số này trong phạm vi của bạn.",
                "No follow-up with this id is within your scope.",
            ),
        ),
        "follow_up_done" => (
            ("Đã hoàn thành", "Already done"),
            (
                "Việc này đã được đánh dấu hoàn thành trước đó.",
                "This follow-up was marked done already.",
            ),
        ),
        "follow_up_not_completable" => (
            ("Không thể đánh dấu hoàn thành ở đây", "Not completed here"),
            (
                "Việc này hoàn thành khi đơn vị công bố kết quả tương ứng (ví dụ báo cáo tiếp thu, giải trình), không phải bằng một ghi chú.",
                "This follow-up is done when the unit publishes what it owes (such as a consultation's synthesis), not with a note.",
            ),
        ),
        "email_suppression_not_found" => (
            ("Không tìm thấy", "Not found"),
            (
                "Không có yêu cầu ngừng nhận thư nào của hộp thư đơn vị với mã số này.",
                "No unit mailbox has a suppression with this id.",
            ),
        ),
        "session_ended" => (
            ("Phiên đăng nhập đã kết thúc", "Session ended"),
            (
                "Phiên đăng nhập này đã kết thúc (mật khẩu vừa được đổi hoặc đặt lại, hoặc phiên bị thu hồi để bảo vệ tài khoản). Hãy làm mới mã hoặc đăng nhập lại.",
                "This session was ended (the password was changed or reset, or sessions were revoked to protect the account). Refresh the token or sign in again.",
            ),
        ),
        "reception_day_not_found" => (
            ("Không tìm thấy", "Not found"),
            (
                "Không có lịch tiếp công dân nào mang số này (hoặc lịch đã bị huỷ).",
                "There is no reception day with this id (or it was cancelled).",
            ),
        ),
        "booking_not_found" => (
            ("Không tìm thấy", "Not found"),
            (
                "Bạn không có lượt đăng ký nào mang số này.",
                "You have no booking with this id.",
            ),
        ),
        "booking_cancelled" => (
            ("Đã huỷ", "Already cancelled"),
            (
                "Lượt đăng ký này đã được huỷ.",
                "This booking was cancelled already.",
            ),
        ),
        "already_booked" => (
            ("Đã đăng ký", "Already booked"),
            (
                "Bạn đã đăng ký một lượt trong ngày tiếp công dân này.",
                "You already have a booking on this reception day.",
            ),
        ),
        "reception_day_full" => (
            ("Hết lượt", "Fully booked"),
            (
                "Ngày tiếp công dân này đã hết lượt đăng ký.",
                "Every slot of this reception day is booked.",
            ),
        ),
        "reception_day_closed" => (
            ("Đã bắt đầu", "Already started"),
            (
                "Ngày tiếp công dân này đã bắt đầu hoặc đã qua; không đăng ký được nữa.",
                "This reception day has started or passed; it takes no more bookings.",
            ),
        ),
        "dialogue_not_found" => (
            ("Không tìm thấy", "Not found"),
            (
                "Không có buổi đối thoại, tiếp xúc cử tri nào mang số này.",
                "There is no dialogue or voter meeting with this id.",
            ),
        ),
        "question_not_found" => (
            ("Không tìm thấy", "Not found"),
            (
                "Buổi đối thoại này không có câu hỏi nào mang số này.",
                "This dialogue has no question with this id.",
            ),
        ),
        "dialogue_started" => (
            ("Đã bắt đầu", "Already started"),
            (
                "Buổi đối thoại đã bắt đầu; không gửi hay ủng hộ câu hỏi được nữa.",
                "The dialogue has started; questions can no longer be sent or supported.",
            ),
        ),
        "already_supported" => (
            ("Đã ủng hộ", "Already supported"),
            (
                "Bạn đã ủng hộ câu hỏi này; mỗi người ủng hộ một lần.",
                "You already support this question; each person supports once.",
            ),
        ),
        "already_answered" => (
            ("Đã trả lời", "Already answered"),
            (
                "Câu hỏi này đã được ghi nhận câu trả lời.",
                "This question's answer is recorded already.",
            ),
        ),
        "minutes_published" => (
            ("Đã công bố", "Already published"),
            (
                "Biên bản của buổi đối thoại này đã được công bố.",
                "The minutes of this dialogue are published already.",
            ),
        ),
        "reception_not_found" => (
            ("Không tìm thấy", "Not found"),
            (
                "Không có lượt tiếp công dân nào mang số này mà bạn được xem.",
                "There is no reception with this id that you may read.",
            ),
        ),
        "internal_error" => (
            ("Lỗi hệ thống", "Internal error"),
            (
                "Đã có lỗi phía máy chủ. Hãy báo mã yêu cầu {request_id} cho quản trị viên.",
                "Something went wrong on the server. Quote request id {request_id} to the administrator.",
            ),
        ),
        _ => (
            ("Yêu cầu không thực hiện được", "Request failed"),
            ("Mã lỗi: {code}.", "Error code: {code}."),
        ),
    }
}

/// Message of a per-field validation error `code`, as (vi, en).
pub fn field_text(code: &str) -> (&'static str, &'static str) {
    match code {
        "period_reversed" => (
            "Ngày kết thúc phải từ ngày {from} trở đi.",
            "The last day must be on or after {from}.",
        ),
        "period_too_long" => (
            "Khoảng thời gian dài tối đa {max} ngày.",
            "The period may span at most {max} days.",
        ),
        "unknown_field" => (
            "Trường này không được chấp nhận.",
            "This field is not accepted.",
        ),
        "missing_field" | "required" => ("Trường này là bắt buộc.", "This field is required."),
        "invalid_type" => (
            "Sai kiểu dữ liệu: {reason}",
            "Wrong type of value: {reason}",
        ),
        "invalid_value" => ("Giá trị không hợp lệ: {reason}", "Invalid value: {reason}"),
        "out_of_range" => (
            "Giá trị phải trong khoảng {min}–{max}.",
            "The value must be between {min} and {max}.",
        ),
        "too_short" => (
            "Cần ít nhất {min} ký tự.",
            "At least {min} characters are needed.",
        ),
        "too_long" => ("Tối đa {max} ký tự.", "At most {max} characters."),
        "invalid_email" => (
            "Địa chỉ email không hợp lệ.",
            "This is not a valid email address.",
        ),
        "invalid_phone" => (
            "Số điện thoại không hợp lệ (ví dụ 0912345678 hoặc +84912345678).",
            "Not a valid phone number (for example 0912345678 or +84912345678).",
        ),
        "password_too_common" => (
            "Mật khẩu này quá phổ biến; hãy chọn mật khẩu khác.",
            "This password is too common; choose another.",
        ),
        "wrong_password" => (
            "Mật khẩu hiện tại không đúng.",
            "The current password is wrong.",
        ),
        "unknown_unit" => (
            "Không có đơn vị đang hoạt động với mã số này.",
            "There is no active unit with this id.",
        ),
        "six_digits" => ("Mã gồm 6 chữ số.", "The code is 6 digits."),
        "token_or_email_and_code" => (
            "Gửi token, hoặc email cùng mã 6 chữ số.",
            "Send either token, or email with the 6-digit code.",
        ),
        "staff_role_required" => (
            "Chỉ tạo được tài khoản cán bộ, giám sát hoặc quản trị.",
            "Only official, supervisor or admin accounts can be created here.",
        ),
        "cannot_disable_self" => (
            "Không thể tự khoá tài khoản của mình.",
            "You cannot disable your own account.",
        ),
        "invalid_token" => ("Mã thiết bị không hợp lệ.", "Not a valid device token."),
        "https_required" => (
            "Địa chỉ nhận phải là https.",
            "The endpoint must be an https URL.",
        ),
        "invalid_url" => ("Địa chỉ không hợp lệ.", "Not a valid URL."),
        "invalid_key" => (
            "Khoá không hợp lệ (base64url, độ dài sai).",
            "Not a valid key (base64url of the right length).",
        ),
        "outside_coverage" => (
            "Vị trí cách mọi xã, phường hơn {max} km; hãy chọn xã, phường.",
            "The point is more than {max} km from every commune; choose the commune instead.",
        ),
        "unknown_area" => (
            "Không có địa bàn với mã này.",
            "There is no area with this code.",
        ),
        "unknown_category" => (
            "Không có lĩnh vực đang hoạt động với mã này.",
            "There is no active category with this code.",
        ),
        "invalid_code" => (
            "Mã chỉ gồm chữ, số và - _ . (không dấu, không khoảng trắng).",
            "Codes use letters, digits and - _ . only (no spaces or diacritics).",
        ),
        "duplicate" => ("Giá trị bị trùng.", "This value appears twice."),
        "not_allowed" => (
            "Trường này không dùng được ở đây.",
            "This field is not allowed here.",
        ),
        "same_unit" => (
            "Không thể sáp nhập một đơn vị vào chính nó.",
            "A unit cannot be merged into itself.",
        ),
        "unit_inactive" => (
            "Đơn vị đã ngừng hoạt động.",
            "The unit is no longer active.",
        ),
        "immutable" => ("Không đổi được giá trị này.", "This value cannot change."),
        "before_valid_from" => (
            "Ngày kết thúc phải sau ngày bắt đầu.",
            "The end must come after the start.",
        ),
        "too_many" => ("Quá nhiều mục.", "Too many entries."),
        "feedback_only" => (
            "Chỉ phản ánh mới gửi ẩn danh được.",
            "Only feedback may be anonymous.",
        ),
        "anonymous_only" => (
            "Chỉ dùng cho phản ánh ẩn danh.",
            "Only for anonymous feedback.",
        ),
        "denunciation_only" => ("Chỉ dùng cho tố cáo.", "Only for denunciations."),
        "complaint_only" => ("Chỉ dùng cho khiếu nại.", "Only for complaints."),
        "in_the_future" => ("Ngày này ở tương lai.", "This date is in the future."),
        "in_the_past" => ("Thời điểm này đã qua.", "This moment has passed."),
        "before_opens_at" => (
            "Thời điểm kết thúc phải sau thời điểm mở và sau hiện tại.",
            "The close must come after the opening, and after now.",
        ),
        "invalid_answer" => (
            "Câu trả lời không khớp với câu hỏi.",
            "This answer does not fit its question.",
        ),
        "unknown_question" => (
            "Không có câu hỏi nào với mã này.",
            "No question has this code.",
        ),
        "before_publish_at" => (
            "Thời điểm hết hạn phải sau thời điểm công bố.",
            "The expiry must come after the publication.",
        ),
        "outside_unit" => (
            "Khu vực này không thuộc địa bàn của đơn vị.",
            "This area is not one the unit serves.",
        ),
        "unknown_upload" => (
            "Không có tệp tải lên nào của bạn với mã này (hoặc tệp đã được dùng ở nơi khác).",
            "You have no upload with this id (or it is already used elsewhere).",
        ),
        "not_an_official_of_the_unit" => (
            "Người này không phải cán bộ của đơn vị.",
            "This person is not an official of the unit.",
        ),
        "accused_unit" => (
            "Không chuyển tố cáo cho đơn vị bị tố cáo hay đơn vị mà cán bộ của đơn vị bị tố cáo xem được.",
            "A denunciation is never sent to the accused unit, nor to a unit whose tickets the accused unit's officials see.",
        ),
        "same_ticket" => (
            "Không thể là chính phiếu này.",
            "It cannot be this ticket itself.",
        ),
        "unknown_ticket" => (
            "Không có phiếu với mã này.",
            "There is no ticket with this code.",
        ),
        "citizens_comment_publicly" => (
            "Người dân chỉ bình luận công khai.",
            "Citizens' comments are public.",
        ),
        "extension_not_allowed" => (
            "Thời hạn này không được gia hạn.",
            "This deadline cannot be extended.",
        ),
        "upload_not_usable" => (
            "Tệp này không dùng được: không phải tệp bạn tải lên, đã được đính kèm, hoặc đã hết hạn.",
            "This file cannot be used: it is not one you uploaded, it is already attached, or it expired.",
        ),
        "image_too_large" => (
            "Ảnh quá lớn: tối đa {max} điểm ảnh.",
            "The image is too large: at most {max} pixels.",
        ),
        "corrupt_file" => (
            "Tệp bị hỏng hoặc chưa tải lên hết.",
            "The file is damaged or incomplete.",
        ),
        "confidential_ticket" => (
            "Tệp của đơn tố cáo không bao giờ được công khai.",
            "A denunciation's files are never made public.",
        ),
        "invalid_cursor" => (
            "Con trỏ trang không hợp lệ; hãy dùng next_cursor của trang trước.",
            "Invalid page cursor; use the next_cursor of the previous page.",
        ),
        "round_only_for_complaints" => (
            "Chỉ khiếu nại mới có lần giải quyết (1 hoặc 2).",
            "Only complaints have a round (1 or 2).",
        ),
        "duplicate_clock" => (
            "Mỗi loại thời hạn chỉ khai báo một lần trong một chính sách.",
            "Each clock may appear only once in a policy.",
        ),
        "must_start_at_receipt" => (
            "Thời hạn này tính từ ngày tiếp nhận (receipt).",
            "This clock starts at receipt.",
        ),
        "offset_required" => (
            "Thời điểm phải theo RFC 3339 kèm múi giờ, ví dụ 2026-02-13T10:00:00+07:00.",
            "The time must be RFC 3339 with an offset, e.g. 2026-02-13T10:00:00+07:00.",
        ),
        "invalid_datetime" => (
            "Không phải thời điểm RFC 3339, ví dụ 2026-02-13T10:00:00+07:00.",
            "Not an RFC 3339 time, e.g. 2026-02-13T10:00:00+07:00.",
        ),
        "invalid_assignee" => (
            "Dùng me, none hoặc mã số người dùng.",
            "Use me, none or a user id.",
        ),
        "invalid_date" => ("Không phải ngày dạng YYYY-MM-DD.", "Not a YYYY-MM-DD date."),
        "range_too_long" => (
            "Khoảng ngày dài tối đa {max} ngày.",
            "The range may span at most {max} days.",
        ),
        "before_from" => (
            "Ngày kết thúc không được trước ngày bắt đầu.",
            "The end date may not be before the start date.",
        ),
        "before_received" => (
            "Thời điểm thụ lý không được trước thời điểm tiếp nhận.",
            "Acceptance may not come before receipt.",
        ),
        "control_character" => (
            "Không được chứa ký tự điều khiển hay ký tự đổi chiều văn bản ({character}).",
            "May not contain control or text-direction characters ({character}).",
        ),
        "invisible_text" => (
            "Phải có ít nhất một ký tự nhìn thấy được.",
            "Must contain at least one visible character.",
        ),
        "nul_character" => (
            "Không được chứa ký tự NUL (U+0000).",
            "May not contain the NUL character (U+0000).",
        ),
        "not_of_unit" => (
            "Không phải cán bộ đang hoạt động của đơn vị bạn.",
            "Not an active official of your unit.",
        ),
        "own_unit" => (
            "Không thể chuyển đến chính đơn vị của bạn.",
            "You cannot refer someone to your own unit.",
        ),
        "received_as_ticket_only" => (
            "Chỉ dùng khi kết quả là tiếp nhận thành đơn (received_as_ticket).",
            "Only with the outcome received_as_ticket.",
        ),
        "referred_only" => (
            "Chỉ dùng khi kết quả là hướng dẫn đến cơ quan có thẩm quyền (referred).",
            "Only with the outcome referred.",
        ),
        "refused_only" => (
            "Chỉ dùng khi kết quả là từ chối tiếp (refused).",
            "Only with the outcome refused.",
        ),
        "in_person_only" => (
            "Đơn nhận khi tiếp công dân luôn có kênh trực tiếp (in_person).",
            "A ticket received at a reception always has the channel in_person.",
        ),
        "invalid_time" => (
            "Giờ theo dạng HH:MM, ví dụ 07:30.",
            "A time as HH:MM, for example 07:30.",
        ),
        "end_before_start" => (
            "Giờ kết thúc phải sau giờ bắt đầu.",
            "The end must come after the start.",
        ),
        "invalid_id_number" => (
            "Số định danh gồm 12 chữ số (căn cước) hoặc 9 chữ số (chứng minh nhân dân cũ).",
            "An identity number has 12 digits (citizen identity card) or 9 (old identity card).",
        ),
        _ => ("Giá trị không hợp lệ ({code}).", "Invalid value ({code})."),
    }
}

/// The name of a weekend day, for the public calendar.
pub fn weekend_name(lang: Lang, day: chrono::Weekday) -> Option<&'static str> {
    match day {
        chrono::Weekday::Sat => Some(lang.pick("Thứ Bảy", "Saturday")),
        chrono::Weekday::Sun => Some(lang.pick("Chủ Nhật", "Sunday")),
        _ => None,
    }
}

/// A shipped holiday's name (the English of `assets/data/vn-public-holidays.csv`) in `lang`;
/// other texts, such as administrators' notes, as they are.
pub fn holiday_name(lang: Lang, name: &str) -> String {
    if lang == Lang::En {
        return name.to_string();
    }
    const NAMES: &[(&str, &str)] = &[
        ("New Year's Day", "Tết Dương lịch"),
        ("29 of Lunar New Year", "29 Tết"),
        ("Lunar New Year's Eve", "Giao thừa Tết Nguyên đán"),
        ("Lunar New Year", "Tết Nguyên đán (mùng 1)"),
        ("Second Day of Lunar New Year", "Tết Nguyên đán (mùng 2)"),
        ("Third Day of Lunar New Year", "Tết Nguyên đán (mùng 3)"),
        ("Fourth Day of Lunar New Year", "Tết Nguyên đán (mùng 4)"),
        ("Fifth Day of Lunar New Year", "Tết Nguyên đán (mùng 5)"),
        ("Hung Kings' Commemoration Day", "Giỗ Tổ Hùng Vương"),
        (
            "Liberation Day/Reunification Day",
            "Ngày Giải phóng miền Nam, thống nhất đất nước",
        ),
        ("International Labor Day", "Ngày Quốc tế Lao động"),
        ("National Day", "Quốc khánh"),
    ];
    let (base, observed) = match name.strip_suffix(" (observed)") {
        Some(base) => (base, true),
        None => (name, false),
    };
    if let Some(rest) = base.strip_prefix("Day off (substituted from ") {
        return format!("Ngày nghỉ bù (hoán đổi từ {}", rest);
    }
    match NAMES.iter().find(|(en, _)| *en == base) {
        Some((_, vi)) if observed => format!("{vi} (nghỉ bù)"),
        Some((_, vi)) => (*vi).to_string(),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_the_highest_q() {
        assert_eq!(Lang::from_accept_language(None), Lang::Vi);
        assert_eq!(Lang::from_accept_language(Some("en")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("en;q=0.5, vi;q=0.8")),
            Lang::Vi
        );
        assert_eq!(Lang::from_accept_language(Some("fr, en;q=0.1")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("fr")), Lang::Vi);
        assert_eq!(Lang::from_accept_language(Some("en;q=0")), Lang::Vi);
    }

    #[test]
    fn every_shipped_holiday_has_a_vietnamese_name() {
        let csv = include_str!("../assets/data/vn-public-holidays.csv");
        let holidays = crate::domain::calendar::Calendar::parse_holidays_csv(csv).unwrap();
        for (date, name) in holidays {
            let vi = holiday_name(Lang::Vi, &name);
            assert_ne!(vi, name, "{date} {name}");
            assert_eq!(holiday_name(Lang::En, &name), name);
        }
        assert_eq!(
            holiday_name(Lang::Vi, "National Day (observed)"),
            "Quốc khánh (nghỉ bù)"
        );
        assert_eq!(
            holiday_name(Lang::Vi, "Day off (substituted from 05/04/2024)"),
            "Ngày nghỉ bù (hoán đổi từ 05/04/2024)"
        );
        assert_eq!(holiday_name(Lang::Vi, "Làm bù"), "Làm bù");
    }

    #[test]
    fn fill_replaces_named_arguments() {
        assert_eq!(
            fill("{a} and {b}", &[("a", "1".into()), ("b", "2".into())]),
            "1 and 2"
        );
    }

    /// Every problem code the source can answer with: the string literal handed to an
    /// `AppError` or `ApiError` constructor (or `Self::…`) within the call's first line or two.
    fn problem_codes_in_source() -> std::collections::BTreeSet<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let constructors = [
            "client(",
            "refused(",
            "bad_request(",
            "unauthenticated(",
            "not_found(",
            "conflict(",
            "unprocessable(",
        ];
        let mut codes = std::collections::BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (i, _) in text
                .match_indices("AppError::")
                .chain(text.match_indices("ApiError::"))
                .chain(text.match_indices("Self::"))
            {
                let rest = &text[i..];
                let rest = &rest[rest.find("::").unwrap() + 2..];
                if !constructors.iter().any(|c| rest.starts_with(c)) {
                    continue;
                }
                // The call's arguments, up to its closing parenthesis.
                let args: String = rest.chars().take_while(|c| *c != ')').collect();
                if let Some(start) = args.find('"') {
                    let literal = &args[start + 1..];
                    let code = &literal[..literal.find('"').unwrap()];
                    codes.insert(code.to_string());
                }
            }
        }
        codes
    }

    #[test]
    fn every_problem_code_has_a_vietnamese_and_an_english_text() {
        let codes = problem_codes_in_source();
        assert!(codes.len() > 50, "the scan found the codes: {codes:?}");
        for code in [
            "ticket_not_found",
            "resource_not_found",
            "accused_unit",
            "bad_request",
        ] {
            assert!(codes.contains(code), "{code} in {codes:?}");
        }
        let fallback = problem_text("a_code_nobody_uses");
        for code in &codes {
            let ((title_vi, title_en), (detail_vi, detail_en)) = problem_text(code);
            assert_ne!(
                ((title_vi, title_en), (detail_vi, detail_en)),
                fallback,
                "{code} has no text"
            );
            for t in [title_vi, title_en, detail_vi, detail_en] {
                assert!(!t.trim().is_empty(), "{code}");
            }
            assert_ne!(
                title_vi, title_en,
                "{code}: the Vietnamese is a translation"
            );
        }
    }
}
