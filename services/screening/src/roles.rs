//! Who may call which screening RPC.

use hallguard_platform::auth::{Role, RpcRoles};

const GATE: &[Role] = &[Role::GateDevice, Role::DutyOfficer];
const DESK: &[Role] = &[Role::DutyOfficer];
const DESK_AND_ANALYST: &[Role] = &[Role::DutyOfficer, Role::Analyst];
const HOLDS: &[Role] = &[Role::Service, Role::DutyOfficer];

/// The role table of `hallguard.screening.v1.Screening`.
pub fn rpc_roles() -> RpcRoles {
    RpcRoles::default().service(
        "hallguard.screening.v1.Screening",
        &[
            ("CheckIn", GATE),
            ("RecordThermometerStatus", &[Role::Service]),
            ("CheckOut", GATE),
            ("EnterZone", GATE),
            ("LeaveZone", GATE),
            ("RegisterWithoutCode", GATE),
            ("ListCommunityReports", DESK),
            ("AcknowledgeCommunityReport", DESK),
            ("AddRiskArea", DESK),
            ("ExpireRiskArea", DESK),
            (
                "ListRiskAreas",
                &[Role::DutyOfficer, Role::GateDevice, Role::Analyst],
            ),
            ("PlaceQuarantineHold", HOLDS),
            ("LiftQuarantineHold", HOLDS),
            ("ExtendQuarantineHold", HOLDS),
            (
                "ListQuarantineHolds",
                &[Role::Service, Role::DutyOfficer, Role::Analyst],
            ),
            ("WatchDutyDesk", DESK),
            ("GetGateStatistics", DESK_AND_ANALYST),
            ("CloseOpenVisits", &[Role::DutyOfficer, Role::Service]),
            ("IdentifyPerson", &[Role::DutyOfficer]),
            ("ListVisitorsInside", &[Role::DutyOfficer]),
        ],
    )
}
