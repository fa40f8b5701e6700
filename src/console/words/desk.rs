//! The words of the desk intake and its receipt.

/// The desk intake's words.
pub fn text(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "in_person" => ("Trực tiếp", "In person"),
        "post" => ("Qua bưu chính", "By post"),
        "desk_intro" => (
            "Ghi nhận đơn, thư công dân gửi trực tiếp, qua bưu chính, điện thoại hoặc thư điện tử. Thời hạn tính như đơn gửi qua ứng dụng.",
            "Record what a citizen brought in person, sent by post, said by phone or wrote by email. Deadlines run as for the app.",
        ),
        "desk_step_category" => ("1. Loại đơn và lĩnh vực", "1. Kind and category"),
        "desk_choose" => ("Chọn", "Choose"),
        "desk_step_submitter" => ("2. Người gửi", "2. The submitter"),
        "desk_step_content" => ("3. Nội dung", "3. The submission"),
        "submitter_name" => ("Họ và tên", "Full name"),
        "submitter_address" => ("Địa chỉ người gửi", "Submitter's address"),
        "desk_contact_hint" => (
            "Có email hoặc điện thoại thì người gửi được báo khi có kết quả.",
            "With an email or a phone number the submitter is told of each step.",
        ),
        "desk_area_hint" => (
            "Mã xã, phường nơi xảy ra sự việc (gõ để chọn trong địa bàn của đơn vị).",
            "The code of the commune where it happened (type to pick one of your unit's areas).",
        ),
        "contested" => ("Quyết định, hành vi bị khiếu nại", "What is contested"),
        "contested_type" => ("Loại", "Type"),
        "contested_decision" => ("Quyết định hành chính", "Administrative decision"),
        "contested_act" => ("Hành vi hành chính", "Administrative act"),
        "contested_number" => ("Số quyết định", "Decision number"),
        "contested_date" => ("Ngày ban hành", "Date issued"),
        "contested_issuer" => ("Cơ quan ban hành", "Issued by"),
        "contested_learned_on" => ("Ngày biết được", "Learned of it on"),
        "accused_unit" => (
            "Đơn vị bị tố cáo (mã, nếu có)",
            "Accused unit (code, if any)",
        ),
        "accused_unit_hint" => (
            "Đơn tố cáo một đơn vị được chuyển lên cấp trên của đơn vị đó; danh tính người tố cáo được giữ bí mật.",
            "A denunciation of a unit goes to that unit's superior; the denouncer's identity is kept confidential.",
        ),
        "keep_private" => ("Không công khai", "Keep out of public view"),
        "desk_files_hint" => (
            "Tài liệu kèm theo (bản chụp, bản quét) đính kèm sau qua ứng dụng hoặc API.",
            "Documents (photos, scans) are attached afterwards through the app or the API.",
        ),
        "desk_record" => ("Ghi nhận và in phiếu", "Record and print the receipt"),
        "desk_recorded" => ("Đã ghi nhận đơn.", "The submission is recorded."),
        "receipt" => ("Phiếu tiếp nhận", "Receipt"),
        "receipt_heading" => ("PHIẾU TIẾP NHẬN ĐƠN", "RECEIPT FOR A SUBMISSION"),
        "tracking_secret" => ("Mã tra cứu", "Tracking secret"),
        "accept_by" => ("Hạn thụ lý", "To be accepted by"),
        "received_by" => ("Người tiếp nhận", "Received by"),
        "receipt_how_to_track" => (
            "Tra cứu kết quả trên ứng dụng Nghe dân bằng mã đơn và mã tra cứu. Giữ kín mã tra cứu: ai có mã này xem được đơn.",
            "Follow it in the Nghe dân app with the code and the tracking secret. Keep the secret private: whoever has it can read the submission.",
        ),
        "print" => ("In phiếu", "Print"),
        "open_ticket" => ("Mở đơn", "Open the ticket"),
        "desk_another" => ("Tiếp nhận đơn khác", "Record another"),
        _ => return None,
    })
}
