//! The words of the supervision page (`/console/reports`).

/// The supervision page's words: the report, its charts, the overdue list, the supervisors'
/// notes and the audit chain.
pub fn text(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "reports_title" => (
            "Giám sát giải quyết phản ánh, kiến nghị",
            "Supervision of response times",
        ),
        // Period and grouping.
        "report_period" => ("Kỳ báo cáo", "Reporting period"),
        "from_date" => ("Từ ngày", "From"),
        "to_date" => ("Đến ngày", "To"),
        "group_by" => ("Tổng hợp theo", "Group by"),
        "by_unit" => ("Đơn vị", "Unit"),
        "by_category" => ("Lĩnh vực", "Category"),
        "by_kind" => ("Loại đơn", "Kind"),
        "by_month" => ("Tháng tiếp nhận", "Month received"),
        "by_channel" => ("Kênh tiếp nhận", "Channel received"),
        "date_hint" => (
            "Ngày dạng dd/mm/yyyy, giờ Việt Nam. Báo cáo tính các phiếu tiếp nhận trong kỳ.",
            "Dates dd/mm/yyyy, Vietnam time. A report covers the tickets received in the period.",
        ),
        "bad_date" => (
            "Ngày không hợp lệ: hãy nhập dạng dd/mm/yyyy. Đang hiển thị kỳ mặc định.",
            "Not a date: use dd/mm/yyyy. Showing the default period.",
        ),
        "download_csv" => ("Tải bảng số liệu (CSV)", "Download the figures (CSV)"),
        "period_text" => ("Từ ngày {from} đến ngày {to}", "From {from} to {to}"),
        "generated_text" => ("số liệu tính đến {at}", "figures as of {at}"),
        // Figures.
        "totals" => ("Tổng hợp", "Totals"),
        "received_count" => ("Tiếp nhận", "Received"),
        "accepted_count" => ("Đã thụ lý", "Accepted"),
        "resolved_count" => ("Đã trả lời", "Answered"),
        "open_count" => ("Đang mở", "Open"),
        "on_time_share" => ("Tỷ lệ đúng hạn", "On-time share"),
        "met_of_decided" => ("Đúng hạn / đã đến hạn", "Met / decided"),
        "median" => ("Trung vị", "Median"),
        "p90" => ("Phân vị 90", "90th percentile"),
        "median_days_long" => ("Trung vị (ngày làm việc)", "Median (working days)"),
        "p90_days_long" => (
            "Phân vị 90 (ngày làm việc)",
            "90th percentile (working days)",
        ),
        "median_hours_long" => ("Trung vị (giờ)", "Median (hours)"),
        "days_short" => ("ngày", "days"),
        "month" => ("Tháng", "Month"),
        "cohort_hint" => (
            "Số liệu tính trên các phiếu tiếp nhận trong kỳ, do các đơn vị bạn giám sát đang giữ, theo tình trạng hiện tại.",
            "The figures cover the tickets received in the period and held by the units you oversee, as they stand now.",
        ),
        "figures_by" => ("Số liệu theo", "Figures by"),
        "no_tickets_period" => (
            "Không có phiếu nào tiếp nhận trong kỳ.",
            "No tickets were received in the period.",
        ),
        // Charts.
        "chart_table_below" => (
            "Số liệu của biểu đồ có trong bảng đi kèm.",
            "The chart's numbers are in the table beside it.",
        ),
        "data_table" => ("Bảng số liệu", "Data table"),
        "on_time_by_month" => ("Tỷ lệ đúng hạn theo tháng", "On-time share by month"),
        "answer_time_by_unit" => ("Thời gian trả lời theo đơn vị", "Time to answer by unit"),
        "answer_time_hint" => (
            "Trung vị và phân vị 90 của thời gian từ khi tiếp nhận đến khi trả lời, tính bằng ngày làm việc, không kể thời gian tạm dừng.",
            "The median and the 90th percentile of the time from receipt to answer, in working days, paused time left out.",
        ),
        "open_by_unit" => ("Đang mở và quá hạn theo đơn vị", "Open and overdue by unit"),
        "open_places" => ("Vị trí phiếu đang mở", "Where the open tickets are"),
        "open_places_hint" => (
            "Mỗi điểm là trung tâm một xã, phường; điểm càng lớn càng nhiều phiếu đang mở; hình thoi là nơi có phiếu quá hạn. Tính mọi phiếu đang mở hiện nay, không theo kỳ báo cáo.",
            "Each mark is a commune's centre; the bigger, the more open tickets; a diamond where some are overdue. Every ticket open now, whatever the period.",
        ),
        "place_title" => (
            "{name}: {open} đang mở, {overdue} quá hạn",
            "{name}: {open} open, {overdue} overdue",
        ),
        "place_open" => ("Có phiếu đang mở", "Open tickets"),
        "place_overdue" => ("Có phiếu quá hạn", "Some overdue"),
        "no_open_tickets" => ("Không có phiếu nào đang mở.", "No open tickets."),
        // Overdue list.
        "overdue_list" => ("Danh sách quá hạn", "Overdue tickets"),
        "no_overdue" => ("Không có phiếu nào quá hạn.", "Nothing is overdue."),
        "late_by" => ("Mức trễ", "Late by"),
        "overdue_more" => (
            "Chỉ hiển thị 50 phiếu trễ nhất.",
            "Only the 50 most late are shown.",
        ),
        // Supervision notes.
        "supervision_notes" => (
            "Ý kiến giám sát và yêu cầu mở lại",
            "Supervision notes and reopen requests",
        ),
        "no_notes" => ("Chưa có ý kiến giám sát nào.", "No supervision notes yet."),
        "write_supervision" => ("Gửi ý kiến giám sát", "Write to the handling unit"),
        "ticket_code" => ("Mã phiếu", "Ticket code"),
        "supervision_kind" => ("Loại ý kiến", "What it is"),
        "supervision_note" => ("Ý kiến giám sát", "Supervision note"),
        "reopen_requested" => ("Yêu cầu mở lại", "Reopen request"),
        "supervision_hint" => (
            "Ghi vào diễn biến nội bộ của phiếu; yêu cầu mở lại được báo cho đơn vị giải quyết. Phiếu không thay đổi: đơn vị quyết định.",
            "Recorded on the ticket's internal timeline; a reopen request is sent to the handling unit. The ticket does not change: the unit decides.",
        ),
        "send" => ("Gửi", "Send"),
        "supervision_written" => ("Đã ghi ý kiến giám sát.", "Recorded."),
        // Audit trail.
        "audit_log" => ("Nhật ký kiểm toán", "Audit trail"),
        "chain_intact" => ("Toàn vẹn", "Intact"),
        "chain_broken" => ("Có sai lệch", "Does not match"),
        "verified_at" => ("Kiểm tra lúc {at}", "Verified at {at}"),
        "events_checked" => ("sự kiện", "events"),
        "days_checked" => ("mã gốc ngày", "daily roots"),
        "admin_entries_checked" => ("mục nhật ký quản trị", "administration log entries"),
        "broken_record" => (
            "Bản ghi sai lệch đầu tiên",
            "First record that does not match",
        ),
        "broken_problem" => ("Sai lệch", "Problem"),
        "verify_days" => (
            "Số ngày kiểm tra (đến hôm nay)",
            "Days to verify (up to today)",
        ),
        "verify_again" => ("Kiểm tra", "Verify"),
        "daily_roots" => ("Mã gốc hằng ngày", "Daily roots"),
        "daily_roots_hint" => (
            "Mỗi ngày (giờ UTC) có một mã băm SHA-256 nối với ngày trước; ai cũng có thể lưu lại để sau này đối chiếu rằng lịch sử không bị sửa.",
            "Each day (UTC) has a SHA-256 hash chained to the day before; anyone may keep them to check later that history was not rewritten.",
        ),
        "no_roots" => (
            "Chưa có mã gốc ngày nào trong 14 ngày qua.",
            "No daily roots in the last 14 days.",
        ),
        "day_utc" => ("Ngày (UTC)", "Day (UTC)"),
        "events_count" => ("Số sự kiện", "Events"),
        "root_hash" => ("Mã gốc", "Root"),
        _ => return None,
    })
}
