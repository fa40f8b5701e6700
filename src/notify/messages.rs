//! What each message says, in Vietnamese and English. The outbox stores a template name and
//! its data; the words are chosen here at delivery time, in the recipient's language.
//!
//! Messages never carry a denouncer's identity or other personal details of third parties:
//! templates receive only what they print (a ticket code, a unit's name, a date).

use askama::Template as Askama;
use serde_json::Value;

use crate::domain::message::Template;
use crate::i18n::Lang;

/// A rendered email.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A rendered push notification: short, no personal details.
#[derive(Debug, Clone)]
pub struct PushText {
    pub title: String,
    pub body: String,
}

pub struct Action {
    pub label: String,
    pub url: String,
}

#[derive(Askama)]
#[template(path = "email/layout.html")]
struct HtmlEmail<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    paragraphs: &'a [String],
    code: Option<&'a str>,
    action: Option<&'a Action>,
    footer: &'a str,
    unsubscribe: Option<&'a str>,
    unsubscribe_label: &'a str,
}

#[derive(Askama)]
#[template(path = "email/layout.txt")]
struct TextEmail<'a> {
    greeting: &'a str,
    paragraphs: &'a [String],
    code: Option<&'a str>,
    action: Option<&'a Action>,
    footer: &'a str,
    unsubscribe: Option<&'a str>,
    unsubscribe_label: &'a str,
}

/// The parts of an email before layout.
pub struct Content {
    pub subject: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    pub code: Option<String>,
    pub action: Option<Action>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template {0} is not about a ticket")]
    NotAboutATicket(&'static str),
    #[error("template {template}: missing data `{field}`")]
    MissingData {
        template: String,
        field: &'static str,
    },
    #[error("template failed: {0}")]
    Askama(#[from] askama::Error),
}

fn text<'a>(
    data: &'a Value,
    template: Template,
    field: &'static str,
) -> Result<&'a str, RenderError> {
    data.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| RenderError::MissingData {
            template: template.as_str().to_string(),
            field,
        })
}

fn greeting(lang: Lang, data: &Value) -> String {
    match data
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        Some(name) => lang
            .pick("Kính gửi {name},", "Dear {name},")
            .replace("{name}", name),
        None => lang.pick("Kính gửi Quý vị,", "Hello,").to_string(),
    }
}

/// Words of the email `template` with `data`, in `lang`. `base_url` prefixes links.
pub fn email_content(
    template: Template,
    lang: Lang,
    data: &Value,
    base_url: &str,
) -> Result<Content, RenderError> {
    let base = base_url.trim_end_matches('/');
    let greeting = greeting(lang, data);
    Ok(match template {
        Template::VerifyEmail => {
            let token = text(data, template, "token")?;
            let code = text(data, template, "code")?;
            Content {
                subject: lang
                    .pick(
                        "Xác nhận địa chỉ email của bạn",
                        "Confirm your email address",
                    )
                    .into(),
                greeting,
                paragraphs: vec![
                    lang.pick(
                        "Cảm ơn bạn đã đăng ký Nghe dân. Hãy nhập mã dưới đây vào ứng dụng, hoặc bấm nút để xác nhận địa chỉ email.",
                        "Thank you for signing up to Nghe dân. Type the code below into the app, or press the button to confirm your email address.",
                    )
                    .into(),
                    lang.pick(
                        "Mã có hiệu lực trong 48 giờ. Nếu bạn không đăng ký, hãy bỏ qua thư này.",
                        "The code is valid for 48 hours. If you did not sign up, ignore this message.",
                    )
                    .into(),
                ],
                code: Some(code.to_string()),
                action: Some(Action {
                    label: lang.pick("Xác nhận email", "Confirm email").into(),
                    url: format!("{base}/verify-email?token={token}"),
                }),
            }
        }
        Template::PasswordReset => {
            let token = text(data, template, "token")?;
            Content {
                subject: lang.pick("Đặt lại mật khẩu", "Reset your password").into(),
                greeting,
                paragraphs: vec![
                    lang.pick(
                        "Có yêu cầu đặt lại mật khẩu cho tài khoản của bạn. Liên kết dưới đây dùng được một lần trong 1 giờ.",
                        "Someone asked to reset the password of your account. The link below works once, for 1 hour.",
                    )
                    .into(),
                    lang.pick(
                        "Nếu không phải bạn, hãy bỏ qua thư này; mật khẩu của bạn không thay đổi.",
                        "If it was not you, ignore this message; your password stays as it is.",
                    )
                    .into(),
                ],
                code: None,
                action: Some(Action {
                    label: lang.pick("Đặt mật khẩu mới", "Set a new password").into(),
                    url: format!("{base}/reset-password?token={token}"),
                }),
            }
        }
        Template::StaffInvite => {
            let token = text(data, template, "token")?;
            let unit = data.get("unit").and_then(Value::as_str).unwrap_or("");
            Content {
                subject: lang
                    .pick(
                        "Tài khoản Nghe dân của bạn đã được tạo",
                        "Your Nghe dân account is ready",
                    )
                    .into(),
                greeting,
                paragraphs: vec![
                    lang.pick(
                        "Quản trị viên đã tạo tài khoản cán bộ cho bạn tại đơn vị: {unit}. Hãy đặt mật khẩu để bắt đầu.",
                        "An administrator created a staff account for you at: {unit}. Set a password to begin.",
                    )
                    .replace("{unit}", unit),
                ],
                code: None,
                action: Some(Action {
                    label: lang.pick("Đặt mật khẩu", "Set a password").into(),
                    url: format!("{base}/reset-password?token={token}"),
                }),
            }
        }
        Template::DailyDigest => digest_content(lang, data, base, greeting),
        Template::AnnouncementPublished => announcement_content(lang, data, base, greeting),
        Template::ConsultationSynthesis => synthesis_content(lang, data, base, greeting),
        other => return event_content(other, lang, data, greeting),
    })
}

/// An announcement to the residents of its areas: who published what (an emergency says so
/// first), and a link to read it. `data`: `{announcement_id, title, unit, emergency}`.
fn announcement_content(lang: Lang, data: &Value, base: &str, greeting: String) -> Content {
    let field = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("");
    let named = match (lang, field("unit_en")) {
        (Lang::En, en) if !en.is_empty() => en,
        _ => field("unit"),
    };
    let unit = match named {
        "" => lang.pick("Chính quyền địa phương", "Your local government"),
        u => u,
    };
    let urgent = data.get("emergency").and_then(Value::as_bool) == Some(true);
    let prefix = if urgent {
        lang.pick("KHẨN CẤP · ", "EMERGENCY · ")
    } else {
        ""
    };
    let id = data.get("announcement_id").and_then(Value::as_i64);
    Content {
        subject: format!(
            "{prefix}{}",
            lang.pick("Thông báo của {unit}: {title}", "Notice from {unit}: {title}")
                .replace("{unit}", unit)
                .replace("{title}", field("title"))
        ),
        greeting,
        paragraphs: vec![
            lang.pick(
                "{unit} đã công bố thông báo “{title}” cho khu vực bạn theo dõi. Mở ứng dụng Nghe dân để đọc toàn văn.",
                "{unit} published the notice “{title}” for an area you follow. Open the Nghe dân app to read it in full.",
            )
            .replace("{unit}", unit)
            .replace("{title}", field("title")),
        ],
        code: None,
        action: id.map(|id| Action {
            label: lang.pick("Đọc thông báo", "Read the notice").into(),
            url: format!("{base}/api/v1/announcements/{id}"),
        }),
    }
}

/// To a consultation's participants: the unit published what it took up and why not.
/// `data`: `{consultation_id, title, unit, unit_en}`.
fn synthesis_content(lang: Lang, data: &Value, base: &str, greeting: String) -> Content {
    let field = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("");
    let unit = match (lang, field("unit_en"), field("unit")) {
        (Lang::En, en, _) if !en.is_empty() => en,
        (_, _, "") => lang.pick("Chính quyền địa phương", "Your local government"),
        (_, _, vi) => vi,
    };
    let fill = |t: &str| t.replace("{unit}", unit).replace("{title}", field("title"));
    let id = data.get("consultation_id").and_then(Value::as_i64);
    Content {
        subject: fill(lang.pick(
            "Kết quả lấy ý kiến: {title}",
            "Consultation outcome: {title}",
        )),
        greeting,
        paragraphs: vec![fill(lang.pick(
            "Cảm ơn bạn đã góp ý. {unit} đã công bố báo cáo tiếp thu, giải trình ý kiến về “{title}” và quyết định sau đó.",
            "Thank you for taking part. {unit} published what it took up from the consultation on “{title}”, why not the rest, and the decision that followed.",
        ))],
        code: None,
        action: id.map(|id| Action {
            label: lang.pick("Xem kết quả", "See the outcome").into(),
            url: format!("{base}/api/v1/consultations/{id}"),
        }),
    }
}

/// Lines a digest lists at most; the rest are counted.
pub const DIGEST_MAX_LINES: usize = 100;

/// The day's digest: one line per event (the ticket's code, its title unless confidential,
/// and what happened, in the words of the message it stands for), and a link to the inbox.
/// `data`: `{date, items: [{template, data}], more}`.
fn digest_content(lang: Lang, data: &Value, base: &str, greeting: String) -> Content {
    let items = data
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let more = data.get("more").and_then(Value::as_u64).unwrap_or(0);
    let date = data.get("date").and_then(Value::as_str).unwrap_or("");
    let count = items.len() as u64 + more;
    let mut paragraphs = vec![
        lang.pick(
            "Những việc dưới đây đã diễn ra kể từ bản tin trước (bạn chọn nhận chúng theo bản tin hằng ngày):",
            "These happened since your last digest (you chose to hear of them in a daily digest):",
        )
        .to_string(),
    ];
    for item in &items {
        let Some(template) = item
            .get("template")
            .and_then(Value::as_str)
            .and_then(Template::parse)
        else {
            continue;
        };
        let item_data = item.get("data").cloned().unwrap_or(Value::Null);
        let Ok(c) = event_content(template, lang, &item_data, String::new()) else {
            continue;
        };
        let line = match item_data.get("title").and_then(Value::as_str) {
            Some(t) if !t.is_empty() => format!("• {} — “{t}”", c.subject),
            _ => format!("• {}", c.subject),
        };
        paragraphs.push(line);
    }
    if more > 0 {
        paragraphs.push(
            lang.pick("… và {n} việc khác.", "… and {n} more.")
                .replace("{n}", &more.to_string()),
        );
    }
    Content {
        subject: lang
            .pick(
                "Bản tin Nghe dân ngày {date}: {n} việc",
                "Nghe dân digest of {date}: {n} updates",
            )
            .replace("{date}", date)
            .replace("{n}", &count.to_string()),
        greeting,
        paragraphs,
        code: None,
        action: Some(Action {
            label: lang.pick("Mở hộp việc", "Open the inbox").into(),
            url: format!("{base}/console/"),
        }),
    }
}

/// (subject vi, subject en, paragraph vi, paragraph en) of each ticket message. `{code}`,
/// `{title}`, `{due}`, `{unit}`, `{days}` and `{note}` come from the data.
fn ticket_text(
    template: Template,
) -> Option<(&'static str, &'static str, &'static str, &'static str)> {
    Some(match template {
        Template::TicketReceived => (
            "Đã nhận {code}",
            "{code} received",
            "Chúng tôi đã nhận phản ánh, kiến nghị của bạn với mã {code}{title}. Hạn trả lời dự kiến: {due}. Hãy dùng mã này để theo dõi.",
            "We received your submission {code}{title}. The answer is due by {due}. Use this code to follow it.",
        ),
        Template::TicketAccepted => (
            "{code} đã được thụ lý",
            "{code} accepted",
            "{unit} đã thụ lý {code}{title}. Hạn giải quyết: {due}.",
            "{unit} accepted {code}{title}. It is due to be resolved by {due}.",
        ),
        Template::TicketRefused => (
            "{code} không được thụ lý",
            "{code} was not accepted",
            "{unit} không thụ lý {code}. Lý do: {note}",
            "{unit} did not accept {code}. Reason: {note}",
        ),
        Template::TicketQuestion => (
            "{code}: cần bổ sung thông tin",
            "{code}: more information needed",
            "{unit} cần bạn bổ sung thông tin cho {code}: {note} Thời hạn tạm dừng cho đến khi bạn trả lời trong ứng dụng.",
            "{unit} needs more information about {code}: {note} The deadline is paused until you answer in the app.",
        ),
        Template::TicketForwarded => (
            "{code} đã được chuyển đơn vị",
            "{code} was forwarded",
            "{code} đã được chuyển tới {unit}, đơn vị có thẩm quyền giải quyết.",
            "{code} was forwarded to {unit}, which is competent to handle it.",
        ),
        Template::TicketExtended => (
            "{code}: gia hạn giải quyết",
            "{code}: time extended",
            "Thời hạn giải quyết {code} được gia hạn {days} ngày, đến {due}. Lý do: {note}",
            "The time to resolve {code} was extended by {days} days, to {due}. Reason: {note}",
        ),
        Template::TicketProgress => (
            "{code}: cập nhật tiến độ",
            "{code}: progress update",
            "{unit} cập nhật tiến độ xử lý {code}: {note}",
            "{unit} reports progress on {code}: {note}",
        ),
        Template::TicketAnswered => (
            "{code} đã có kết quả",
            "{code} has been answered",
            "{unit} đã trả lời {code}{title}. Xem câu trả lời và đánh giá mức độ hài lòng trong ứng dụng.",
            "{unit} answered {code}{title}. Read the answer and rate it in the app.",
        ),
        Template::TicketClosed => (
            "{code} đã kết thúc",
            "{code} is closed",
            "{code} đã kết thúc. Cảm ơn bạn đã phản ánh.",
            "{code} is closed. Thank you for your submission.",
        ),
        Template::TicketWithdrawn => (
            "{code} đã được rút",
            "{code} withdrawn",
            "{code} đã được rút theo yêu cầu.",
            "{code} was withdrawn as asked.",
        ),
        Template::TicketWithdrawalDeclined => (
            "{code}: không chấp nhận rút đơn",
            "{code}: withdrawal declined",
            "{unit} không chấp nhận việc rút {code} và tiếp tục giải quyết. Lý do: {note}",
            "{unit} declined the withdrawal of {code} and continues to handle it. Reason: {note}",
        ),
        Template::UnitNewTicket => (
            "Phiếu mới {code}",
            "New ticket {code}",
            "Đơn vị có phiếu mới {code}{title}. Hạn: {due}.",
            "Your unit has a new ticket {code}{title}. Due: {due}.",
        ),
        Template::TicketQuestionWithdrawn => (
            "{code}: không cần bổ sung thông tin nữa",
            "{code}: no more information needed",
            "{unit} đã rút lại câu hỏi về {code}; thời hạn giải quyết tiếp tục chạy. Lý do: {note}",
            "{unit} withdrew its question about {code}; the deadline runs again. Reason: {note}",
        ),
        Template::TicketQuestionExpired => (
            "{code}: hết thời gian chờ bổ sung thông tin",
            "{code}: the wait for information has ended",
            "{unit} chưa nhận được thông tin bổ sung cho {code} trong thời hạn chờ, nên tiếp tục giải quyết với những gì đã có; thời hạn giải quyết chạy lại. Bạn vẫn có thể gửi câu trả lời, nó sẽ được lưu vào hồ sơ.",
            "{unit} received no answer about {code} within the waiting time and carries on with what it has; the deadline runs again. You may still send your answer: it is kept with the ticket.",
        ),
        Template::UnitQuestionExpired => (
            "{code}: hết thời gian chờ người gửi",
            "{code}: the wait for the submitter has ended",
            "Người gửi chưa trả lời câu hỏi về {code} trong thời hạn chờ; phiếu trở lại trạng thái trước và thời hạn chạy lại.",
            "The submitter did not answer the question about {code} within the waiting time; the ticket is back in its former state and its deadline runs again.",
        ),
        Template::UnitInfoProvidedLate => (
            "{code}: người gửi trả lời muộn",
            "{code}: a late answer",
            "Người gửi đã trả lời câu hỏi về {code} sau khi câu hỏi được rút lại hoặc hết thời gian chờ; câu trả lời được lưu trong dòng thời gian.",
            "The submitter answered the question about {code} after it was withdrawn or ran out; the answer is on the timeline.",
        ),
        Template::UnitInfoProvided => (
            "{code}: người gửi đã bổ sung thông tin",
            "{code}: information provided",
            "Người gửi đã bổ sung thông tin cho {code}; thời hạn tiếp tục chạy.",
            "The submitter provided the information for {code}; the clock runs again.",
        ),
        Template::UnitReopened => (
            "{code} được mở lại",
            "{code} reopened",
            "Người gửi không đồng ý với kết quả và mở lại {code}.",
            "The submitter disagreed with the answer and reopened {code}.",
        ),
        Template::UnitAppeal => (
            "Khiếu nại lần hai {code}",
            "Second-round complaint {code}",
            "Đơn vị nhận khiếu nại lần hai {code}{title}. Hạn: {due}.",
            "Your unit received the second-round complaint {code}{title}. Due: {due}.",
        ),
        Template::UnitWithdrawalRequested => (
            "{code}: đề nghị rút đơn",
            "{code}: withdrawal requested",
            "Người gửi đề nghị rút {code}. Đơn vị quyết định chấp nhận hay tiếp tục giải quyết.",
            "The submitter asks to withdraw {code}. The unit decides whether to grant it or continue.",
        ),
        Template::UnitReminder => (
            "Nhắc hạn {code}",
            "Deadline reminder {code}",
            "Hạn {clock} của {code} sắp đến: {due}.",
            "The {clock} deadline of {code} is near: {due}.",
        ),
        Template::UnitUpdateDue => (
            "{code}: đến hạn cập nhật tiến độ",
            "{code}: a progress note is due",
            "Đã đến hạn báo tiến độ xử lý {code} cho người gửi. Hãy ghi chú tiến độ trong hệ thống.",
            "A progress note on {code} is due to the submitter. Record one in the system.",
        ),
        Template::EscalationOverdue => (
            "Quá hạn: {code}",
            "Overdue: {code}",
            "{code} tại {unit} đã quá hạn {clock} ({due}).",
            "{code} at {unit} missed its {clock} deadline ({due}).",
        ),
        Template::UnitReopenRequested => (
            "{code}: đề nghị xem xét lại",
            "{code}: reopen requested",
            "Cơ quan giám sát đề nghị đơn vị xem xét lại {code}: {note}",
            "A supervisor asks the unit to reconsider {code}: {note}",
        ),
        Template::UnitAssigned => (
            "{code} được phân công cho bạn",
            "{code} was assigned to you",
            "Bạn được phân công giải quyết {code}{title}. Hạn: {due}.",
            "You were assigned {code}{title}. Due: {due}.",
        ),
        Template::UnitCitizenComment => (
            "{code}: người gửi có ý kiến",
            "{code}: the submitter commented",
            "Người gửi đã viết thêm ý kiến về {code}{title}; xem trong dòng thời gian.",
            "The submitter added a comment on {code}{title}; read it on the timeline.",
        ),
        // Account mail and the digest have words of their own (see `email_content`).
        Template::VerifyEmail
        | Template::PasswordReset
        | Template::StaffInvite
        | Template::DailyDigest
        | Template::AnnouncementPublished
        | Template::ConsultationSynthesis
        | Template::FollowUpReminder
        | Template::FollowUpOverdue
        | Template::ReceptionDayReminder
        | Template::DialogueScheduled
        | Template::DialogueAnswered
        | Template::DialogueMinutes
        | Template::DialogueCommitmentOutcome => return None,
    })
}

/// The words of a message about one thing that happened: to a ticket, or to a follow-up.
fn event_content(
    template: Template,
    lang: Lang,
    data: &Value,
    greeting: String,
) -> Result<Content, RenderError> {
    match template {
        Template::FollowUpReminder | Template::FollowUpOverdue => {
            Ok(follow_up_content(template, lang, data, greeting))
        }
        Template::ReceptionDayReminder => Ok(reception_day_content(lang, data, greeting)),
        Template::DialogueScheduled
        | Template::DialogueAnswered
        | Template::DialogueMinutes
        | Template::DialogueCommitmentOutcome => {
            Ok(dialogue_content(template, lang, data, greeting))
        }
        other => ticket_content(other, lang, data, greeting),
    }
}

/// A follow-up's reminder or miss: what is owed (`title`), of which kind (`subject`), by
/// which unit, by when. `data`: `{title, subject, unit, due}`.
fn follow_up_content(template: Template, lang: Lang, data: &Value, greeting: String) -> Content {
    let field = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("");
    let what = match field("subject") {
        "consultation_synthesis" => lang.pick(
            "báo cáo tiếp thu, giải trình ý kiến góp ý",
            "the synthesis of a consultation",
        ),
        "dialogue_commitment" => lang.pick(
            "cam kết tại buổi đối thoại, tiếp xúc cử tri",
            "a commitment made at a dialogue",
        ),
        _ => lang.pick("việc cần hoàn thành", "a follow-up"),
    };
    let unit = match field("unit") {
        "" => lang.pick("Đơn vị", "The unit"),
        u => u,
    };
    let (subject, paragraph) = if template == Template::FollowUpOverdue {
        (
            lang.pick("Quá hạn: {title}", "Overdue: {title}"),
            lang.pick(
                "{unit} đã quá hạn “{title}” ({what}; hạn {due}).",
                "{unit} missed the date of “{title}” ({what}; due {due}).",
            ),
        )
    } else {
        (
            lang.pick("Nhắc hạn: {title}", "Due soon: {title}"),
            lang.pick(
                "{unit} cần hoàn thành “{title}” ({what}) trước {due}.",
                "{unit} must complete “{title}” ({what}) by {due}.",
            ),
        )
    };
    let fill = |t: &str| {
        t.replace("{title}", field("title"))
            .replace("{what}", what)
            .replace("{unit}", unit)
            .replace("{due}", field("due"))
    };
    Content {
        subject: fill(subject),
        greeting,
        paragraphs: vec![fill(paragraph)],
        code: None,
        action: None,
    }
}

/// A booked reception day is tomorrow: the unit, the date, the hour, the place and the topic
/// the citizen booked. `data`: `{unit, date, start, place, topic}`.
fn reception_day_content(lang: Lang, data: &Value, greeting: String) -> Content {
    let field = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("");
    let fill = |t: &str| {
        t.replace("{unit}", field("unit"))
            .replace("{date}", field("date"))
            .replace("{start}", field("start"))
            .replace("{place}", field("place"))
            .replace("{topic}", field("topic"))
    };
    Content {
        subject: fill(lang.pick(
            "Nhắc lịch tiếp công dân ngày {date}",
            "Reminder: citizen reception on {date}",
        )),
        greeting,
        paragraphs: vec![
            fill(lang.pick(
                "{unit} tiếp công dân lúc {start} ngày {date} tại {place}.",
                "{unit} receives citizens at {start} on {date} at {place}.",
            )),
            fill(lang.pick(
                "Nội dung bạn đã đăng ký: {topic}. Nếu không đến được, hãy huỷ lượt đăng ký trong ứng dụng.",
                "What you booked it for: {topic}. If you cannot come, cancel the booking in the app.",
            )),
        ],
        code: None,
        action: None,
    }
}

/// A dialogue's news: scheduled (`{title, unit, when, place}`), a question answered
/// (`{title, question, answer, commitment, due}`), the minutes published (`{title}`).
fn dialogue_content(template: Template, lang: Lang, data: &Value, greeting: String) -> Content {
    let field = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("");
    let fill = |t: &str| {
        t.replace("{title}", field("title"))
            .replace("{unit}", field("unit"))
            .replace("{when}", field("when"))
            .replace("{place}", field("place"))
            .replace("{question}", field("question"))
            .replace("{answer}", field("answer"))
            .replace("{commitment}", field("commitment"))
            .replace("{due}", field("due"))
            .replace("{note}", field("note"))
    };
    let (subject, mut paragraphs) = match template {
        Template::DialogueCommitmentOutcome if field("outcome") == "done" => (
            lang.pick("Đã thực hiện cam kết: {commitment}", "Commitment kept: {commitment}"),
            vec![lang.pick(
                "Cam kết tại “{title}” đã được thực hiện: {note}",
                "The commitment made at “{title}” was kept: {note}",
            )],
        ),
        Template::DialogueCommitmentOutcome => (
            lang.pick("Quá hạn cam kết: {commitment}", "Commitment missed: {commitment}"),
            vec![lang.pick(
                "Cam kết tại “{title}” chưa được thực hiện đúng hạn {due}; cấp trên và cơ quan giám sát đã được báo.",
                "The commitment made at “{title}” was not kept by {due}; the level above and the supervisors were told.",
            )],
        ),
        Template::DialogueScheduled => (
            lang.pick("Đối thoại với người dân: {title}", "Dialogue with residents: {title}"),
            vec![
                lang.pick(
                    "{unit} tổ chức “{title}” lúc {when} tại {place}.",
                    "{unit} holds “{title}” at {when} at {place}.",
                ),
                lang.pick(
                    "Bạn có thể gửi câu hỏi và ủng hộ câu hỏi của người khác trong ứng dụng trước buổi đối thoại.",
                    "You may send questions, and support others', in the app before it.",
                ),
            ],
        ),
        Template::DialogueAnswered => (
            lang.pick("Đã trả lời câu hỏi: {title}", "Question answered: {title}"),
            vec![
                lang.pick("Câu hỏi: {question}", "Question: {question}"),
                lang.pick("Trả lời: {answer}", "Answer: {answer}"),
            ],
        ),
        _ => (
            lang.pick("Biên bản: {title}", "Minutes: {title}"),
            vec![lang.pick(
                "Biên bản buổi “{title}” đã được công bố trong ứng dụng.",
                "The minutes of “{title}” are published in the app.",
            )],
        ),
    };
    if template == Template::DialogueAnswered && !field("commitment").is_empty() {
        paragraphs.push(lang.pick(
            "Cam kết: {commitment} (hạn {due}).",
            "Commitment: {commitment} (by {due}).",
        ));
    }
    Content {
        subject: fill(subject),
        greeting,
        paragraphs: paragraphs.into_iter().map(fill).collect(),
        code: None,
        action: None,
    }
}

fn ticket_content(
    template: Template,
    lang: Lang,
    data: &Value,
    greeting: String,
) -> Result<Content, RenderError> {
    let (svi, sen, pvi, pen) =
        ticket_text(template).ok_or(RenderError::NotAboutATicket(template.as_str()))?;
    let code = text(data, template, "ticket_code")?;
    let field = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("");
    let title = match field("title") {
        "" => String::new(),
        t => format!(" (“{t}”)"),
    };
    let fill = |t: &str| {
        t.replace("{code}", code)
            .replace("{title}", &title)
            .replace(
                "{due}",
                match field("due") {
                    "" => lang.pick("chưa xác định", "not set"),
                    d => d,
                },
            )
            .replace(
                "{unit}",
                match field("unit") {
                    "" => lang.pick("Đơn vị", "The unit"),
                    u => u,
                },
            )
            .replace(
                "{days}",
                &data.get("days").map(|d| d.to_string()).unwrap_or_default(),
            )
            .replace("{clock}", field("clock"))
            .replace("{note}", field("note"))
    };
    Ok(Content {
        subject: fill(lang.pick(svi, sen)),
        greeting,
        paragraphs: vec![fill(lang.pick(pvi, pen))],
        code: None,
        action: None,
    })
}

/// The short push text of a template: the ticket code and what happened, never personal
/// details.
pub fn push_text(template: Template, lang: Lang, data: &Value) -> Result<PushText, RenderError> {
    let code = data
        .get("ticket_code")
        .and_then(Value::as_str)
        .unwrap_or("");
    let content = email_content(template, lang, data, "")?;
    Ok(PushText {
        title: if code.is_empty() {
            "Nghe dân".to_string()
        } else {
            format!("Nghe dân · {code}")
        },
        body: content.subject,
    })
}

/// Lays `content` out as text and HTML.
pub fn render(
    content: &Content,
    lang: Lang,
    unsubscribe: Option<&str>,
) -> Result<Rendered, RenderError> {
    let footer = lang.pick(
        "Thư tự động từ hệ thống Nghe dân. Vui lòng không trả lời thư này.",
        "An automatic message from Nghe dân. Please do not reply.",
    );
    let unsubscribe_label = lang.pick("Ngừng nhận loại thư này", "Stop these emails");
    let html = HtmlEmail {
        lang: lang.as_str(),
        subject: &content.subject,
        greeting: &content.greeting,
        paragraphs: &content.paragraphs,
        code: content.code.as_deref(),
        action: content.action.as_ref(),
        footer,
        unsubscribe,
        unsubscribe_label,
    }
    .render()?;
    let text = TextEmail {
        greeting: &content.greeting,
        paragraphs: &content.paragraphs,
        code: content.code.as_deref(),
        action: content.action.as_ref(),
        footer,
        unsubscribe,
        unsubscribe_label,
    }
    .render()?;
    Ok(Rendered {
        subject: content.subject.clone(),
        text,
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn verification_mail_has_code_and_link_in_both_languages() {
        let data = json!({"name": "Nguyễn Văn A", "token": "tok", "code": "123456"});
        for lang in [Lang::Vi, Lang::En] {
            let c = email_content(Template::VerifyEmail, lang, &data, "https://x.vn/").unwrap();
            let r = render(&c, lang, None).unwrap();
            assert!(r.text.contains("123456"));
            assert!(r.text.contains("https://x.vn/verify-email?token=tok"));
            assert!(r.html.contains("https://x.vn/verify-email?token=tok"));
            assert!(r.html.contains("Nguyễn Văn A"));
        }
        let vi = email_content(Template::VerifyEmail, Lang::Vi, &data, "").unwrap();
        assert_eq!(vi.subject, "Xác nhận địa chỉ email của bạn");
    }

    #[test]
    fn html_is_escaped() {
        let data = json!({"name": "<script>x</script>", "token": "t"});
        let c = email_content(Template::PasswordReset, Lang::En, &data, "http://h").unwrap();
        let r = render(&c, Lang::En, Some("http://h/u")).unwrap();
        assert!(!r.html.contains("<script>"));
        assert!(r.text.contains("Stop these emails: http://h/u"));
    }

    #[test]
    fn ticket_messages_name_the_code_and_due_date() {
        let data =
            json!({"ticket_code": "PAKN.20261123.0001", "title": "Ổ gà", "due": "2026-12-13"});
        let c = email_content(Template::TicketReceived, Lang::En, &data, "").unwrap();
        assert_eq!(c.subject, "PAKN.20261123.0001 received");
        assert!(c.paragraphs[0].contains("2026-12-13"));
        assert!(c.paragraphs[0].contains("Ổ gà"));
        let p = push_text(Template::TicketAnswered, Lang::Vi, &data).unwrap();
        assert_eq!(p.title, "Nghe dân · PAKN.20261123.0001");
        assert_eq!(p.body, "PAKN.20261123.0001 đã có kết quả");
    }

    #[test]
    fn missing_data_and_unknown_templates_are_errors() {
        assert!(matches!(
            email_content(Template::VerifyEmail, Lang::Vi, &json!({}), ""),
            Err(RenderError::MissingData { .. })
        ));
        assert!(matches!(
            email_content(Template::TicketAnswered, Lang::Vi, &json!({}), ""),
            Err(RenderError::MissingData { .. })
        ));
    }

    #[test]
    fn a_digest_lists_each_ticket_and_what_happened() {
        let data = json!({"date": "24/11/2026", "more": 3, "items": [
            {"template": "unit_new_ticket", "data": {"ticket_code": "PAKN.1", "title": "Ổ gà"}},
            {"template": "escalation_overdue", "data": {"ticket_code": "PAKN.2",
                "clock": "resolve", "due": "20/11/2026", "unit": "UBND"}},
        ]});
        let c = email_content(Template::DailyDigest, Lang::Vi, &data, "https://x.vn").unwrap();
        assert_eq!(c.subject, "Bản tin Nghe dân ngày 24/11/2026: 5 việc");
        assert!(
            c.paragraphs
                .iter()
                .any(|p| p == "• Phiếu mới PAKN.1 — “Ổ gà”")
        );
        assert!(c.paragraphs.iter().any(|p| p == "• Quá hạn: PAKN.2"));
        assert_eq!(c.paragraphs.last().unwrap(), "… và 3 việc khác.");
        assert_eq!(c.action.unwrap().url, "https://x.vn/console/");
        let push = push_text(Template::DailyDigest, Lang::En, &data).unwrap();
        assert_eq!(push.title, "Nghe dân");
        assert_eq!(push.body, "Nghe dân digest of 24/11/2026: 5 updates");
    }

    /// Every message renders, as mail and as push, in both languages, with the data its
    /// senders give it; Vietnamese and English differ.
    #[test]
    fn every_template_renders_in_both_languages() {
        let data = json!({"name": "Nguyễn Văn A", "token": "tok", "code": "123456",
            "unit": "UBND Phường Ninh Kiều", "ticket_code": "PAKN.20261123.0001",
            "ticket_id": 1, "title": "Ổ gà", "due": "07/12/2026", "note": "Lý do.",
            "days": 10, "clock": "resolve"});
        for t in Template::ALL {
            let mut subjects = Vec::new();
            for lang in [Lang::Vi, Lang::En] {
                let c = email_content(t, lang, &data, "https://x.vn")
                    .unwrap_or_else(|e| panic!("{} {lang:?}: {e}", t.as_str()));
                assert!(
                    !c.subject.is_empty() && !c.paragraphs.is_empty(),
                    "{}",
                    t.as_str()
                );
                for p in &c.paragraphs {
                    assert!(!p.contains('{'), "{} {lang:?}: unfilled {p}", t.as_str());
                }
                let r = render(&c, lang, Some("https://x.vn/u")).unwrap();
                assert!(!r.html.is_empty() && !r.text.is_empty());
                let push = push_text(t, lang, &data).unwrap();
                assert!(!push.body.is_empty(), "{}", t.as_str());
                subjects.push(c.subject);
            }
            assert_ne!(subjects[0], subjects[1], "{}: translated", t.as_str());
        }
    }
}
