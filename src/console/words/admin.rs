//! The words of the administration pages (`/console/admin/…`).

/// (vi, en) of an administration page's word.
pub fn text(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        // Sections.
        "admin_sections" => ("Các mục quản trị", "Administration sections"),
        "admin_units" => ("Đơn vị", "Units"),
        "admin_units_about" => (
            "Cây tổ chức: thêm, đổi tên, cho ngừng hoạt động, sáp nhập đơn vị.",
            "The organisation tree: add, rename, deactivate and merge units.",
        ),
        "admin_categories" => ("Lĩnh vực", "Categories"),
        "admin_categories_about" => (
            "Lĩnh vực phản ánh và các trường thông tin người dân điền.",
            "Categories and the form fields citizens fill in.",
        ),
        "admin_routing" => ("Phân luồng", "Routing"),
        "admin_routing_about" => (
            "Quy tắc chuyển đơn đến đơn vị giải quyết; thử xem một phản ánh sẽ đến đâu.",
            "The rules that send submissions to units; try where one would go.",
        ),
        "admin_policies" => ("Thời hạn giải quyết", "Deadline policies"),
        "admin_policies_about" => (
            "Thời hạn thụ lý, giải quyết, cập nhật tiến độ và gia hạn theo loại đơn.",
            "Acceptance, resolution, progress-note and extension periods by kind.",
        ),
        "admin_calendar" => ("Lịch làm việc", "Working calendar"),
        "admin_calendar_about" => (
            "Ngày làm việc bù, ngày nghỉ bù và ngày lễ, Tết dùng để tính thời hạn.",
            "Swapped working days, days off and the public holidays deadlines count on.",
        ),
        "admin_users" => ("Tài khoản", "Accounts"),
        "admin_users_about" => (
            "Tạo tài khoản cán bộ, giám sát; khoá tài khoản; gửi email đặt lại mật khẩu.",
            "Create official and supervisor accounts, disable accounts, send password resets.",
        ),
        // Notices.
        "admin_saved" => ("Đã lưu.", "Saved."),
        "admin_created" => ("Đã tạo.", "Created."),
        "admin_deleted" => ("Đã xoá.", "Deleted."),
        "admin_merged" => (
            "Đã sáp nhập: phiếu đang mở, cán bộ, địa bàn, lĩnh vực, quy tắc và đơn vị trực thuộc đã chuyển sang đơn vị này.",
            "Merged: open tickets, staff, areas, categories, rules and subunits moved to this unit.",
        ),
        "admin_disabled" => (
            "Đã khoá tài khoản; mọi phiên đăng nhập của tài khoản đã kết thúc.",
            "The account is disabled; its sessions have ended.",
        ),
        "admin_reset_sent" => (
            "Đã gửi email đặt lại mật khẩu.",
            "The password-reset email is on its way.",
        ),
        // Shared.
        "admin_active" => ("Đang hoạt động", "Active"),
        "admin_inactive" => ("Ngừng hoạt động", "Inactive"),
        "admin_name" => ("Tên", "Name"),
        "admin_name_vi" => ("Tên tiếng Việt", "Name in Vietnamese"),
        "admin_name_en" => ("Tên tiếng Anh", "Name in English"),
        "admin_none" => ("— Không —", "— None —"),
        "admin_choose" => ("— Chọn —", "— Choose —"),
        "admin_create" => ("Tạo", "Create"),
        "admin_save" => ("Lưu", "Save"),
        "admin_delete" => ("Xoá", "Delete"),
        "admin_urgent" => ("Khẩn cấp", "Urgent"),
        "admin_area_code" => ("Mã địa bàn", "Area code"),
        // Units.
        "admin_unit_tree" => ("Cây đơn vị", "Unit tree"),
        "admin_new_unit" => ("Thêm đơn vị", "Add a unit"),
        "admin_code_hint" => (
            "Chữ, số và - _ . ; không trùng với đơn vị khác.",
            "Letters, digits and - _ . ; not used by another unit.",
        ),
        "admin_parent_unit" => ("Đơn vị cấp trên", "Parent unit"),
        "admin_sees_subunits" => (
            "Cán bộ của đơn vị xử lý cả phiếu của đơn vị trực thuộc",
            "Its officials also work its subunits' tickets",
        ),
        "admin_unit_kind_people_committee" => ("Ủy ban nhân dân", "People's committee"),
        "admin_unit_kind_department" => ("Sở, ban, ngành", "Department"),
        "admin_unit_kind_inspection_board" => {
            ("Ban Thanh tra nhân dân", "People's inspection board")
        }
        "admin_unit_kind_council" => ("Hội đồng nhân dân", "People's council"),
        "admin_unit_kind_front" => ("Mặt trận Tổ quốc", "Fatherland Front"),
        "admin_unit_kind_other" => ("Khác", "Other"),
        "admin_merged_into" => ("đã sáp nhập vào", "merged into"),
        "admin_areas" => ("Địa bàn phụ trách", "Areas covered"),
        "admin_holds" => ("Đang giữ", "Holds"),
        "admin_tickets" => ("phiếu", "tickets"),
        "admin_staff" => ("cán bộ", "staff"),
        "admin_subunits" => ("đơn vị trực thuộc", "subunits"),
        "admin_rules" => ("quy tắc", "rules"),
        "admin_rename" => ("Đổi tên, đổi đơn vị cấp trên", "Rename or move in the tree"),
        "admin_deactivate" => ("Cho ngừng hoạt động", "Deactivate"),
        "admin_deactivate_hint" => (
            "Đơn vị ngừng hoạt động không nhận đơn mới theo quy tắc phân luồng; các phiếu đang giữ vẫn ở lại. Muốn chuyển phiếu sang đơn vị khác, hãy sáp nhập.",
            "An inactive unit gets no new submissions through the routing rules; the tickets it holds stay. To move them to another unit, merge it.",
        ),
        "admin_reactivate" => ("Cho hoạt động trở lại", "Reactivate"),
        "admin_merge" => ("Sáp nhập", "Merge"),
        "admin_merge_into" => ("Sáp nhập vào đơn vị", "Merge into"),
        "admin_merge_hint" => (
            "Phiếu đang mở (mỗi phiếu ghi một sự kiện trong diễn biến), cán bộ, địa bàn, lĩnh vực, quy tắc và đơn vị trực thuộc chuyển sang đơn vị được chọn; đơn vị này ngừng hoạt động. Không thể hoàn tác.",
            "Open tickets (each with an event on its timeline), staff, areas, categories, rules and subunits move to the chosen unit; this unit closes. This cannot be undone.",
        ),
        // Categories.
        "admin_new_category" => ("Thêm lĩnh vực", "Add a category"),
        "admin_edit" => ("Sửa lĩnh vực", "Edit the category"),
        "admin_category_code_hint" => (
            "Chữ thường không dấu, số và - _ . ; không đổi được sau khi tạo.",
            "Lower-case letters, digits and - _ . ; cannot be changed later.",
        ),
        "admin_parent_category" => ("Lĩnh vực cha", "Parent category"),
        "admin_default_kind" => ("Loại đơn mặc định", "Default kind"),
        "admin_sort_order" => ("Thứ tự hiển thị", "Display order"),
        "admin_form_fields" => ("Trường thông tin", "Form fields"),
        "admin_form_fields_hint" => (
            "Danh sách JSON như API nhận (thuộc tính Open311): mỗi trường có code, datatype (string, number, datetime, text, singlevaluelist, multivaluelist), required, order, description {vi, en}; danh sách chọn có thêm values [{key, name {vi, en}}].",
            "A JSON list as the API takes it (Open311 attributes): each field has code, datatype (string, number, datetime, text, singlevaluelist, multivaluelist), required, order, description {vi, en}; lists also have values [{key, name {vi, en}}].",
        ),
        // Routing.
        "admin_try" => ("Thử phân luồng", "Try the routing"),
        "admin_try_hint" => (
            "Một phản ánh thuộc lĩnh vực này, tại địa điểm này sẽ được chuyển đến đơn vị nào, theo quy tắc nào.",
            "Where a submission in this category at this place would go, and what decides it.",
        ),
        "admin_try_place_hint" => (
            "Nhập mã địa bàn (xã hoặc tỉnh), hoặc vĩ độ và kinh độ.",
            "Give an area code (commune or province), or a latitude and a longitude.",
        ),
        "admin_try_button" => ("Xem đơn vị nhận", "Show where it goes"),
        "admin_lat" => ("Vĩ độ", "Latitude"),
        "admin_lon" => ("Kinh độ", "Longitude"),
        "admin_goes_to" => ("Đơn vị nhận:", "Goes to:"),
        "admin_because" => ("Căn cứ:", "Because of:"),
        "admin_rule" => ("Quy tắc", "Rule"),
        "admin_reason_committee" => (
            "Ủy ban nhân dân phụ trách địa bàn (không có quy tắc phù hợp)",
            "The people's committee of the area (no rule matched)",
        ),
        "admin_reason_coordinator" => (
            "Đơn vị điều phối (không có quy tắc hay ủy ban nhân dân phù hợp)",
            "The coordinating unit (no rule or committee matched)",
        ),
        "admin_new_rule" => ("Thêm quy tắc phân luồng", "Add a routing rule"),
        "admin_add_rule" => ("Thêm quy tắc", "Add the rule"),
        "admin_rule_area_hint" => (
            "Mã tỉnh (mọi xã của tỉnh) hoặc mã xã; để trống: mọi địa bàn.",
            "A province code (all its communes) or a commune code; empty: anywhere.",
        ),
        "admin_priority" => ("Ưu tiên", "Priority"),
        "admin_priority_hint" => (
            "Số nhỏ hơn thắng giữa các quy tắc ngang nhau.",
            "Lower wins among otherwise equal rules.",
        ),
        "admin_rule_order" => (
            "Quy tắc cho xã đứng trước quy tắc cho tỉnh, rồi đến quy tắc cho mọi địa bàn; sau đó lĩnh vực gần hơn, quy tắc theo loại đơn, rồi số ưu tiên nhỏ hơn. Đơn vị ngừng hoạt động bị bỏ qua.",
            "A commune's rule comes before a province's, then rules for anywhere; then the nearer category, a kind-specific rule, and the lower priority. Inactive units are skipped.",
        ),
        "admin_rules_title" => ("Quy tắc phân luồng", "Routing rules"),
        "admin_no_rules" => ("Chưa có quy tắc nào.", "No rules."),
        "admin_anywhere" => ("Mọi địa bàn", "Anywhere"),
        "admin_any_kind" => ("Mọi loại đơn", "Any kind"),
        // Deadline policies.
        "admin_policies_keep" => (
            "Thay đổi chỉ áp dụng cho phiếu bắt đầu tính hạn từ nay; phiếu đang giải quyết giữ nguyên hạn.",
            "Changes apply to tickets whose clocks start from now on; running tickets keep their due dates.",
        ),
        "admin_applies_to" => ("Áp dụng cho", "Applies to"),
        "admin_round" => ("Lần giải quyết", "Round"),
        "admin_any_round" => ("Mọi lần", "Either round"),
        "admin_round_1" => ("Lần đầu", "First round"),
        "admin_round_2" => ("Lần hai", "Second round"),
        "admin_any_category" => ("Mọi lĩnh vực", "Any category"),
        "admin_any_channel" => ("Mọi kênh", "Any channel"),
        "admin_channel_app" => ("Ứng dụng", "App"),
        "admin_channel_in_person" => ("Trực tiếp", "In person"),
        "admin_channel_post" => ("Bưu chính", "Post"),
        "admin_channel_phone" => ("Điện thoại", "Phone"),
        "admin_channel_email" => ("Thư điện tử", "Email"),
        "admin_urgent_only" => ("Chỉ cho lĩnh vực khẩn cấp", "Only for urgent categories"),
        "admin_clocks_hint" => (
            "Mỗi loại thời hạn một dòng; chọn «Không dùng» để bỏ một dòng. Độ dài tính bằng ngày; để trống độ dài cho vụ việc phức tạp, vùng sâu vùng xa thì dùng độ dài thông thường.",
            "One row per clock; choose “Not used” to drop a row. Lengths are in days; leave the complex and remote lengths empty to use the normal one.",
        ),
        "admin_clock" => ("Thời hạn", "Clock"),
        "admin_clock_name" => ("Loại thời hạn", "Clock"),
        "admin_no_clock" => ("Không dùng", "Not used"),
        "admin_starts_at" => ("Bắt đầu tính", "Starts"),
        "admin_starts_receipt" => ("Từ ngày nhận đơn", "At receipt"),
        "admin_starts_acceptance" => ("Từ ngày thụ lý", "At acceptance"),
        "admin_counting" => ("Cách tính", "Counting"),
        "admin_working_days" => ("ngày làm việc", "working days"),
        "admin_calendar_days" => ("ngày", "calendar days"),
        "admin_counting_working" => ("Ngày làm việc", "Working days"),
        "admin_counting_calendar" => ("Ngày theo lịch (kể cả ngày nghỉ)", "Calendar days"),
        "admin_length_normal" => ("Thông thường (ngày)", "Normal (days)"),
        "admin_length_complex" => ("Phức tạp (ngày)", "Complex (days)"),
        "admin_length_remote" => ("Vùng sâu, vùng xa (ngày)", "Remote area (days)"),
        "admin_length_complex_remote" => (
            "Phức tạp, vùng sâu vùng xa (ngày)",
            "Complex, remote area (days)",
        ),
        "admin_extensions_allowed" => ("Số lần được gia hạn", "Extensions allowed"),
        "admin_extension_days" => ("Mỗi lần gia hạn tối đa (ngày)", "Longest extension (days)"),
        // Calendar.
        "admin_year" => ("Năm", "Year"),
        "admin_set_day" => (
            "Thêm ngày làm việc bù hoặc ngày nghỉ bù",
            "Add a swapped working day or day off",
        ),
        "admin_date" => ("Ngày", "Date"),
        "admin_day_is" => ("Loại ngày", "The day is"),
        "admin_day_worked" => ("Ngày làm việc", "A working day"),
        "admin_day_off" => ("Ngày nghỉ", "A day off"),
        "admin_day_note" => ("Ghi chú", "Note"),
        "admin_day_note_hint" => (
            "Ví dụ: quyết định hoán đổi ngày làm việc.",
            "For example, the decision that swapped the day.",
        ),
        "admin_overrides" => ("Ngày làm việc bù, ngày nghỉ bù", "Swapped days"),
        "admin_no_overrides" => (
            "Năm này chưa có ngày làm việc bù hay nghỉ bù.",
            "No swapped days this year.",
        ),
        "admin_holidays" => ("Ngày lễ, Tết", "Public holidays"),
        "admin_mon" => ("Thứ Hai", "Monday"),
        "admin_tue" => ("Thứ Ba", "Tuesday"),
        "admin_wed" => ("Thứ Tư", "Wednesday"),
        "admin_thu" => ("Thứ Năm", "Thursday"),
        "admin_fri" => ("Thứ Sáu", "Friday"),
        "admin_sat" => ("Thứ Bảy", "Saturday"),
        "admin_sun" => ("Chủ Nhật", "Sunday"),
        // Accounts.
        "admin_new_user" => ("Tạo tài khoản cán bộ", "Create a staff account"),
        "admin_full_name" => ("Họ và tên", "Full name"),
        "admin_role_label" => ("Vai trò", "Role"),
        "admin_user_unit_hint" => (
            "Bắt buộc với cán bộ (đơn vị công tác) và giám sát (đơn vị được giám sát).",
            "Required for officials (their unit) and supervisors (the unit they oversee).",
        ),
        "admin_invite_hint" => (
            "Tài khoản nhận email mời tự đặt mật khẩu.",
            "The account gets an email inviting it to set its password.",
        ),
        "admin_user_search" => ("Tìm theo tên hoặc email", "Search by name or email"),
        "admin_no_users" => ("Không có tài khoản nào.", "No accounts."),
        "admin_disabled_state" => ("Đã khoá", "Disabled"),
        "admin_disable" => ("Khoá", "Disable"),
        "admin_enable" => ("Mở khoá", "Enable"),
        "admin_send_reset" => ("Gửi email đặt lại mật khẩu", "Send a password reset"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    /// The words the pages look up by a computed name exist in both languages.
    #[test]
    fn every_computed_word_exists() {
        let keys = [
            "admin_units_about",
            "admin_categories_about",
            "admin_routing_about",
            "admin_policies_about",
            "admin_calendar_about",
            "admin_users_about",
            "admin_saved",
            "admin_created",
            "admin_deleted",
            "admin_merged",
            "admin_disabled",
            "admin_reset_sent",
            "admin_mon",
            "admin_tue",
            "admin_wed",
            "admin_thu",
            "admin_fri",
            "admin_sat",
            "admin_sun",
        ];
        for key in keys {
            let (vi, en) = crate::console::words::text(key).unwrap_or_else(|| panic!("{key}"));
            assert!(!vi.is_empty() && !en.is_empty(), "{key}");
        }
    }
}
