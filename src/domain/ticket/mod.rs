//! Tickets: the four kinds of submission, their states, and the state machine that says who
//! may do what from where.

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
    pub const ALL: [Kind; 4] = [
        Kind::Feedback,
        Kind::Petition,
        Kind::Complaint,
        Kind::Denunciation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Feedback => "feedback",
            Kind::Petition => "petition",
            Kind::Complaint => "complaint",
            Kind::Denunciation => "denunciation",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Feedback and petitions may be published; complaints and denunciations never.
    pub fn may_be_public(self) -> bool {
        matches!(self, Kind::Feedback | Kind::Petition)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Submitted,
    Accepted,
    AwaitingInfo,
    Suspended,
    Resolved,
    Closed,
    Refused,
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Submitted,
        Status::Accepted,
        Status::AwaitingInfo,
        Status::Suspended,
        Status::Resolved,
        Status::Closed,
        Status::Refused,
        Status::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Accepted => "accepted",
            Status::AwaitingInfo => "awaiting_info",
            Status::Suspended => "suspended",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Refused => "refused",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Still being handled: the unit owes an answer.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Submitted | Status::Accepted | Status::AwaitingInfo | Status::Suspended
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    App,
    InPerson,
    Post,
    Phone,
    Email,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::App,
        Channel::InPerson,
        Channel::Post,
        Channel::Phone,
        Channel::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::App => "app",
            Channel::InPerson => "in_person",
            Channel::Post => "post",
            Channel::Phone => "phone",
            Channel::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The timeline event a ticket starts with.
pub const SUBMITTED_EVENT: &str = "submitted";

mod action;
mod effects;

pub use action::*;
pub use effects::*;
