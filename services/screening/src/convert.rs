//! Protobuf to and from screening's domain types: the one place the handlers' words
//! (`pb::`) meet the store's ([`crate::model`]).

use hallguard_platform::error::{Result, ServiceError};
pub use hallguard_platform::people::{person, person_ref};
use hallguard_platform::timestamps::millis_to_timestamp;
use hallguard_proto::screening::v1 as pb;

use crate::decision::{Outcome, Reason};
use crate::model::{CheckInRecord, CommunityReport, QuarantineHold, RiskArea, RiskLevel};

/// A hold as the contracts show it.
pub fn hold_message(hold: QuarantineHold) -> pb::QuarantineHold {
    pb::QuarantineHold {
        hold_id: hold.hold_id,
        person: Some(person_ref(&hold.person)),
        incident_id: hold.incident_id,
        reason: hold.reason,
        placed_at: Some(millis_to_timestamp(hold.placed_at)),
        lifted_at: hold.lifted_at.map(millis_to_timestamp),
        ends_at: hold.ends_at.map(millis_to_timestamp),
    }
}

/// A visitor inside as the contracts show them.
pub fn visitor_inside_message(visitor: crate::model::VisitorInside) -> pb::VisitorInside {
    let (zone_id, since) = visitor.zone.unzip();
    pb::VisitorInside {
        person: Some(person_ref(&visitor.person)),
        checked_in_at: Some(millis_to_timestamp(visitor.checked_in_at)),
        entrance_gate_id: visitor.entrance_gate_id,
        zone_id: zone_id.unwrap_or_default(),
        in_zone_since: since.map(millis_to_timestamp),
    }
}

/// A risk level from a request, or INVALID_ARGUMENT naming `field`.
pub fn risk_level(level: i32, field: &str) -> Result<RiskLevel> {
    match pb::RiskLevel::try_from(level) {
        Ok(pb::RiskLevel::Medium) => Ok(RiskLevel::Medium),
        Ok(pb::RiskLevel::High) => Ok(RiskLevel::High),
        _ => Err(ServiceError::invalid(field, "must be MEDIUM or HIGH")),
    }
}

/// A risk area as the contracts show it.
pub fn risk_area_message(area: RiskArea) -> pb::RiskArea {
    pb::RiskArea {
        risk_area_id: area.risk_area_id,
        region_code_prefix: area.area.prefix,
        name: area.area.name,
        level: match area.area.level {
            RiskLevel::Medium => pb::RiskLevel::Medium,
            RiskLevel::High => pb::RiskLevel::High,
        } as i32,
        effective_from: Some(millis_to_timestamp(area.area.from)),
        effective_until: area.area.until.map(millis_to_timestamp),
    }
}

/// A community report as the contracts show it.
pub fn report_message(report: CommunityReport) -> pb::CommunityReport {
    pb::CommunityReport {
        report_id: report.report_id,
        site_id: report.site_id,
        registration_id: report.registration_id,
        community_region_code: report.community_region_code,
        risk_region_codes: report.risk_region_codes,
        created_at: Some(millis_to_timestamp(report.created_at)),
        acknowledged_at: report.acknowledged_at.map(millis_to_timestamp),
        acknowledged_by: report.acknowledged_by.unwrap_or_default(),
        // Who and where are filled in only for those who may see them.
        ..Default::default()
    }
}

/// The response message of a record.
pub fn check_in_response(record: &CheckInRecord) -> pb::CheckInResponse {
    pb::CheckInResponse {
        visit_id: record.visit_id.clone().unwrap_or_default(),
        decision: match record.outcome {
            Outcome::Admitted => pb::Decision::Admitted,
            Outcome::Refused => pb::Decision::Refused,
            Outcome::SuspectedCase => pb::Decision::SuspectedCase,
        } as i32,
        reasons: record.reasons.iter().map(|r| reason_message(*r) as i32).collect(),
        rules_version: record.rules_version.clone(),
        queue_position: record.queue_position,
        person_id: record.person_id.clone(),
        incident_source_event_id: record.incident_source_event_id.clone().unwrap_or_default(),
        remeasurement_of_check_in_id: record.remeasurement_of.clone().unwrap_or_default(),
    }
}

/// The contract's value of a reason.
pub fn reason_message(reason: Reason) -> pb::DecisionReason {
    match reason {
        Reason::Fever => pb::DecisionReason::Fever,
        Reason::YellowCode => pb::DecisionReason::YellowCode,
        Reason::RedCode => pb::DecisionReason::RedCode,
        Reason::RiskAreaTravel => pb::DecisionReason::RiskAreaTravel,
        Reason::NoMask => pb::DecisionReason::NoMask,
        Reason::QuarantineHold => pb::DecisionReason::QuarantineHold,
        Reason::RegistrationPaused => pb::DecisionReason::RegistrationPaused,
        Reason::Symptoms => pb::DecisionReason::Symptoms,
    }
}
