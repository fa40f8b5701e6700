//! Tickets: the four kinds of submission and, later in this module, their state machine.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Phản ánh: a problem on the ground; may be anonymous.
    Feedback,
    /// Kiến nghị: a proposal to the authority; others may support it.
    Petition,
    /// Khiếu nại: asks an authority to review its own decision or act.
    Complaint,
    /// Tố cáo: reports a violation of law; the denouncer's identity is confidential.
    Denunciation,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Feedback => "feedback",
            Kind::Petition => "petition",
            Kind::Complaint => "complaint",
            Kind::Denunciation => "denunciation",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "feedback" => Some(Kind::Feedback),
            "petition" => Some(Kind::Petition),
            "complaint" => Some(Kind::Complaint),
            "denunciation" => Some(Kind::Denunciation),
            _ => None,
        }
    }
}
