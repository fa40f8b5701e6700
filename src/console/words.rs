//! The console's words, in the officials' administrative language (`shared/CONSOLE.md`) and
//! in English. Templates ask `t.get("key")`; a test checks that every key a template uses is
//! here, in both languages.

use crate::domain::ticket::{Action, Kind, Status};
use crate::i18n::Lang;

/// The words of one language, for templates.
#[derive(Debug, Clone, Copy)]
pub struct Words(pub Lang);

impl Words {
    pub fn get(&self, key: &str) -> &'static str {
        let (vi, en) = text(key).unwrap_or(("?", "?"));
        self.0.pick(vi, en)
    }
    pub fn lang(&self) -> &'static str {
        self.0.as_str()
    }
    pub fn status(&self, s: impl std::borrow::Borrow<Status>) -> &'static str {
        self.get(s.borrow().as_str())
    }
    pub fn kind(&self, k: impl std::borrow::Borrow<Kind>) -> &'static str {
        self.get(k.borrow().as_str())
    }
    /// The word of an action, which for an answer depends on the kind (a complaint is decided,
    /// a denunciation concluded).
    pub fn action(&self, a: Action, kind: Kind) -> &'static str {
        match (a, kind) {
            (Action::Resolve, Kind::Complaint) => self.get("resolve_complaint"),
            (Action::Resolve, Kind::Denunciation) => self.get("resolve_denunciation"),
            _ => self.get(a.as_str()),
        }
    }
}

/// (vi, en) of a key.
pub fn text(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "app" => ("Nghe dân — cán bộ", "Nghe dân — staff"),
        "inbox" => ("Hộp việc", "Inbox"),
        "new_ticket" => ("Tiếp nhận tại quầy", "Desk intake"),
        "reports" => ("Giám sát", "Supervision"),
        "admin" => ("Quản trị", "Administration"),
        "settings" => ("Cài đặt", "My settings"),
        "menu" => ("Danh mục", "Menu"),
        "sign_in" => ("Đăng nhập", "Sign in"),
        "sign_out" => ("Đăng xuất", "Sign out"),
        "email" => ("Email", "Email"),
        "password" => ("Mật khẩu", "Password"),
        "language" => ("Ngôn ngữ", "Language"),
        "wrong_password" => (
            "Email hoặc mật khẩu không đúng.",
            "Wrong email or password.",
        ),
        "too_many_tries" => (
            "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {wait} giây.",
            "Too many failed sign-ins. Try again in {wait} seconds.",
        ),
        "account_disabled" => ("Tài khoản đã bị khoá.", "This account is disabled."),
        "staff_only" => (
            "Trang này dành cho cán bộ, người giám sát và quản trị viên. Người dân theo dõi phản ánh của mình trên ứng dụng.",
            "This console is for officials, supervisors and administrators. Citizens follow their submissions in the app.",
        ),
        "forbidden" => ("Không có quyền", "Not allowed"),
        "not_found" => ("Không tìm thấy", "Not found"),
        "error" => ("Có lỗi", "Something went wrong"),
        "session_expired" => (
            "Phiên làm việc đã hết. Hãy đăng nhập lại.",
            "Your session has ended. Sign in again.",
        ),
        "csrf_refused" => (
            "Biểu mẫu đã hết hạn hoặc không hợp lệ; không có gì thay đổi. Hãy tải lại trang.",
            "The form has expired or is not valid; nothing changed. Reload the page.",
        ),
        "back" => ("Quay lại", "Back"),
        // Inbox.
        "filters" => ("Lọc", "Filters"),
        "apply" => ("Áp dụng", "Apply"),
        "all" => ("Tất cả", "All"),
        "open" => ("Đang mở", "Open"),
        "status" => ("Trạng thái", "Status"),
        "kind" => ("Loại", "Kind"),
        "category" => ("Lĩnh vực", "Category"),
        "assignee" => ("Người xử lý", "Assignee"),
        "assigned_to_me" => ("Giao cho tôi", "Assigned to me"),
        "unassigned" => ("Chưa phân công", "Unassigned"),
        "overdue_only" => ("Chỉ quá hạn", "Overdue only"),
        "due_soon_only" => ("Đến hạn trong 2 ngày làm việc", "Due within 2 working days"),
        "search" => ("Tìm (không cần dấu)", "Search (accents optional)"),
        "sort" => ("Sắp xếp", "Sort"),
        "most_urgent" => ("Gấp nhất trước", "Most urgent first"),
        "newest" => ("Mới nhất trước", "Newest first"),
        "code" => ("Mã", "Code"),
        "title" => ("Tiêu đề", "Title"),
        "due" => ("Hạn", "Due"),
        "received" => ("Ngày nhận", "Received"),
        "next_page" => ("Trang sau", "Next page"),
        "no_tickets" => ("Không có phiếu nào.", "No tickets."),
        "counts" => ("Số lượng", "Counts"),
        "on_time" => ("Trong hạn", "On time"),
        "due_soon" => ("Sắp đến hạn", "Due soon"),
        "overdue" => ("Quá hạn", "Overdue"),
        "no_deadline" => ("Không có hạn", "No deadline"),
        // Kinds and statuses.
        "feedback" => ("Phản ánh", "Feedback"),
        "petition" => ("Kiến nghị", "Petition"),
        "complaint" => ("Khiếu nại", "Complaint"),
        "denunciation" => ("Tố cáo", "Denunciation"),
        "submitted" => ("Chờ thụ lý", "Awaiting acceptance"),
        "accepted" => ("Đang giải quyết", "In progress"),
        "awaiting_info" => ("Chờ bổ sung thông tin", "Waiting for the citizen"),
        "suspended" => ("Tạm đình chỉ", "Suspended"),
        "resolved" => ("Đã trả lời", "Answered"),
        "closed" => ("Đã kết thúc", "Closed"),
        "refused" => ("Không thụ lý", "Not accepted"),
        "withdrawn" => ("Đã rút", "Withdrawn"),
        // Actions.
        "accept" => ("Thụ lý", "Accept"),
        "refuse" => ("Không thụ lý (nêu lý do)", "Refuse (with reason)"),
        "forward" => ("Chuyển đơn", "Forward"),
        "assign" => ("Phân công", "Assign"),
        "request_info" => ("Yêu cầu bổ sung", "Ask the citizen"),
        "provide_info" => ("Bổ sung thông tin", "Answer"),
        "suspend" => ("Tạm đình chỉ", "Suspend"),
        "resume" => ("Tiếp tục giải quyết", "Resume"),
        "extend" => ("Gia hạn", "Extend"),
        "progress_note" => ("Cập nhật tiến độ", "Progress note"),
        "resolve" => ("Trả lời", "Answer"),
        "resolve_complaint" => ("Quyết định giải quyết", "Decision"),
        "resolve_denunciation" => ("Kết luận", "Conclusion"),
        "reopen" => ("Mở lại", "Reopen"),
        "close" => ("Kết thúc", "Close"),
        "withdraw" => ("Rút đơn", "Withdraw"),
        "grant_withdrawal" => ("Chấp nhận rút đơn", "Grant the withdrawal"),
        "decline_withdrawal" => ("Không chấp nhận rút đơn", "Decline the withdrawal"),
        "appeal" => ("Khiếu nại lần hai", "Second-round complaint"),
        "mark_duplicate" => ("Đánh dấu trùng", "Mark as duplicate"),
        // Ticket page.
        "actions" => ("Xử lý", "Actions"),
        "reason" => ("Lý do", "Reason"),
        "legal_ground" => ("Căn cứ gia hạn", "Legal ground for the extension"),
        "complex" => ("Vụ việc phức tạp", "Complex case"),
        "answer" => ("Nội dung trả lời", "Answer"),
        "publish" => ("Công khai câu trả lời", "Publish the answer"),
        "question" => ("Nội dung cần bổ sung", "What the citizen should add"),
        "note" => ("Nội dung", "Note"),
        "days" => ("Số ngày", "Days"),
        "unit" => ("Đơn vị", "Unit"),
        "unit_search" => ("Tìm đơn vị (mã hoặc tên)", "Find a unit (code or name)"),
        "official" => ("Cán bộ", "Official"),
        "nobody" => ("Không ai", "Nobody"),
        "original_code" => ("Mã phiếu gốc", "Code of the original"),
        "on_behalf" => (
            "Công dân trả lời trực tiếp (ghi thay)",
            "Given in person (recorded on their behalf)",
        ),
        "tells_citizen" => (
            "Người gửi sẽ được báo qua email và trên điện thoại.",
            "The citizen will be told by email and on the phone.",
        ),
        "description" => ("Nội dung", "Description"),
        "location" => ("Địa điểm", "Location"),
        "area" => ("Địa bàn", "Area"),
        "channel" => ("Kênh", "Channel"),
        "submitter" => ("Người gửi", "Submitter"),
        "anonymous" => ("Ẩn danh", "Anonymous"),
        "show_denouncer" => ("Xem thông tin người tố cáo", "Show the denouncer"),
        "identity_recorded" => (
            "Mỗi lần xem được ghi lại trong nhật ký.",
            "Each view is recorded on the timeline.",
        ),
        "phone" => ("Điện thoại", "Phone"),
        "address" => ("Địa chỉ", "Address"),
        "clocks" => ("Thời hạn", "Deadlines"),
        "clock_accept" => ("Thụ lý", "Acceptance"),
        "clock_forward" => ("Chuyển đơn", "Forwarding"),
        "clock_resolve" => ("Giải quyết", "Resolution"),
        "clock_update" => ("Cập nhật tiến độ", "Progress note"),
        "working_days_left" => ("ngày làm việc còn lại", "working days left"),
        "paused" => ("Tạm dừng", "Paused"),
        "pending" => ("Chưa bắt đầu", "Not started"),
        "met" => ("Đúng hạn", "Met"),
        "missed" => ("Trễ hạn", "Missed"),
        "running" => ("Đang chạy", "Running"),
        "timeline" => ("Diễn biến", "Timeline"),
        "attachments" => ("Tệp đính kèm", "Attachments"),
        "comment" => ("Ghi chú", "Comment"),
        "internal_comment" => ("Ghi chú nội bộ", "Internal note"),
        "public_comment" => ("Trả lời người gửi", "Reply to the citizen"),
        "add_comment" => ("Thêm ghi chú", "Add a note"),
        "internal" => ("Nội bộ", "Internal"),
        "done" => ("Đã thực hiện.", "Done."),
        "no_actions" => (
            "Không có việc nào bạn có thể làm lúc này.",
            "Nothing for you to do now.",
        ),
        "system" => ("Hệ thống", "System"),
        "citizen" => ("Công dân", "Citizen"),
        "supervisor" => ("Giám sát", "Supervisor"),
        "admin_role" => ("Quản trị viên", "Administrator"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `t.get("…")` of every console template names a word with both texts.
    #[test]
    fn every_word_a_template_uses_exists_in_both_languages() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/console");
        let mut used = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for (i, _) in text.match_indices("t.get(\"") {
                let rest = &text[i + 7..];
                let key = &rest[..rest.find('"').unwrap()];
                let (vi, en) = super::text(key).unwrap_or_else(|| panic!("no word {key}"));
                assert!(!vi.is_empty() && !en.is_empty(), "{key}");
                used += 1;
            }
        }
        assert!(used > 20, "the scan found the templates' words");
        for s in Status::ALL {
            assert!(text(s.as_str()).is_some(), "{s:?}");
        }
        for a in Action::ALL {
            assert!(text(a.as_str()).is_some(), "{a:?}");
        }
    }
}
