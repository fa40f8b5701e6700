//! The words of "My settings": notification preferences and the password change.

/// The words of the settings page.
pub fn text(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "set_notifications" => ("Nhận thông báo", "Notifications"),
        "set_notifications_hint" => (
            "Chọn cách nhận từng loại việc qua email và qua thông báo trên điện thoại: ngay khi xảy ra, gộp vào một bản tin mỗi ngày, hoặc không nhận. Danh sách thông báo trong ứng dụng vẫn ghi mọi việc. Hộp thư chung của đơn vị vẫn nhận mọi thư như trước.",
            "Choose how each kind of event reaches you by email and by push to your phone: as it happens, gathered in one digest a day, or not at all. The in-app list still records everything. The unit's shared mailbox still gets every message.",
        ),
        "set_ev_new_ticket" => ("Đơn vị có phiếu mới", "A new ticket in my unit"),
        "set_ev_assigned" => ("Phiếu được phân công cho tôi", "A ticket assigned to me"),
        "set_ev_due_soon" => (
            "Sắp đến hạn (trong 2 ngày làm việc) và nhắc cập nhật tiến độ",
            "Due within 2 working days, and progress notes owed",
        ),
        "set_ev_overdue" => ("Phiếu quá hạn", "An overdue ticket"),
        "set_ev_citizen_reply" => (
            "Người gửi bổ sung thông tin hoặc có ý kiến",
            "A citizen's answer or comment",
        ),
        "set_event" => ("Loại việc", "Event"),
        "set_by_email" => ("Qua email", "By email"),
        "set_by_push" => ("Trên điện thoại", "Push to my phone"),
        "set_immediate" => ("Ngay lập tức", "Immediately"),
        "set_digest" => ("Gộp vào bản tin hằng ngày", "In the daily digest"),
        "set_off" => ("Không nhận", "Off"),
        "set_digest_hour" => ("Giờ gửi bản tin hằng ngày", "Send the daily digest at"),
        "set_digest_hour_hint" => (
            "Giờ Việt Nam. Bản tin gửi một lần mỗi ngày, liệt kê mã phiếu, tiêu đề và việc đã xảy ra.",
            "Vietnam time. The digest goes once a day, listing each ticket's code, title and what happened.",
        ),
        "set_save" => ("Lưu cài đặt", "Save settings"),
        "set_saved" => (
            "Đã lưu cài đặt nhận thông báo.",
            "Your notification settings are saved.",
        ),
        "set_password" => ("Đổi mật khẩu", "Change password"),
        "set_current_password" => ("Mật khẩu hiện tại", "Current password"),
        "set_new_password" => ("Mật khẩu mới", "New password"),
        "set_password_hint" => (
            "Ít nhất 10 ký tự. Sau khi đổi, mọi phiên đăng nhập khác (ứng dụng, trình duyệt khác) kết thúc; phiên này tiếp tục với phiên mới.",
            "At least 10 characters. Every other session (the app, other browsers) ends; this one goes on with a new session.",
        ),
        "set_password_changed" => (
            "Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc.",
            "Your password is changed. Your other sessions have ended.",
        ),
        _ => return None,
    })
}
