//! The OpenAPI description of the Open311 answers. The answers themselves are built as
//! `crate::open311::format::Node`s (one tree, two formats); these types only describe their
//! JSON shape (the XML is the same tree, described as text).

#![allow(dead_code)]

use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FormatWord {
    Xml,
    Json,
}

/// The answer's format, from the path's suffix.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FormatParam {
    /// `xml` or `json`.
    #[param(inline)]
    pub format: FormatWord,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JurisdictionParam {
    /// The configured jurisdiction (`open311.jurisdiction_id`), or empty.
    pub jurisdiction_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocaleParam {
    /// `vi` (default) or `en`; else `Accept-Language`.
    pub locale: Option<String>,
}

/// One error of the spec's error list (XML: `errors/error`).
#[derive(Debug, ToSchema)]
pub struct ErrorDoc {
    /// The HTTP status.
    pub code: u16,
    pub description: String,
}

#[derive(Debug, ToSchema)]
pub struct EndpointDoc {
    pub specification: String,
    pub url: String,
    pub changeset: String,
    #[schema(rename = "type")]
    pub kind: String,
    /// `text/xml` and `application/json`.
    pub formats: Vec<String>,
}

#[derive(Debug, ToSchema)]
pub struct DiscoveryDoc {
    pub changeset: String,
    pub contact: String,
    pub key_service: String,
    pub endpoints: Vec<EndpointDoc>,
}

#[derive(Debug, ToSchema)]
pub struct ServiceDoc {
    /// The category code.
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    /// Whether the service has attributes (`services/{code}`).
    pub metadata: bool,
    /// Always `realtime`.
    #[schema(rename = "type")]
    pub kind: String,
    /// One comma-separated string.
    pub keywords: String,
    /// The parent category's name.
    pub group: Option<String>,
}

#[derive(Debug, ToSchema)]
pub struct ValueDoc {
    pub key: String,
    pub name: String,
}

#[derive(Debug, ToSchema)]
pub struct AttributeDoc {
    pub variable: bool,
    pub code: String,
    /// string, number, datetime, text, singlevaluelist or multivaluelist.
    pub datatype: String,
    pub required: bool,
    pub datatype_description: Option<String>,
    /// Unique, from 1.
    pub order: i64,
    pub description: String,
    pub values: Vec<ValueDoc>,
}

#[derive(Debug, ToSchema)]
pub struct ServiceDefinitionDoc {
    pub service_code: String,
    pub attributes: Vec<AttributeDoc>,
}

/// A posted request (the reply is an array of one).
#[derive(Debug, ToSchema)]
pub struct PostedDoc {
    /// The ticket's code.
    pub service_request_id: String,
    /// The unit it went to and its legal answer deadline.
    pub service_notice: String,
    /// The account it was sent for, if any.
    pub account_id: Option<String>,
}

/// A request as the public reads it: no name, contact or exact address of its sender.
#[derive(Debug, ToSchema)]
pub struct ServiceRequestDoc {
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// The published answer.
    pub status_notes: Option<String>,
    pub service_name: String,
    pub service_code: String,
    pub description: Option<String>,
    /// The unit's name.
    pub agency_responsible: String,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    /// The answer deadline.
    pub expected_datetime: Option<String>,
    /// The commune.
    pub address: Option<String>,
    /// The commune's code.
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    /// Rounded to 0.001° as on the public map.
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
    /// With `extensions=true`: `nghedan_status`, `unit_code`, `due_dates`.
    #[schema(value_type = Option<Object>)]
    pub extended_attributes: Option<serde_json::Value>,
}

/// An update of FixMyStreet's `servicerequestupdates`.
#[derive(Debug, ToSchema)]
pub struct UpdateDoc {
    pub update_id: String,
    pub service_request_id: String,
    /// IN_PROGRESS, ACTION_SCHEDULED, FIXED, DUPLICATE, NOT_COUNCILS_RESPONSIBILITY,
    /// NO_FURTHER_ACTION, INTERNAL_REFERRAL or CLOSED.
    pub status: String,
    pub updated_datetime: String,
    pub description: String,
    pub media_url: Option<String>,
}
