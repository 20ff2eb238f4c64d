//! Who may call which staff-health RPC.

use hallguard_platform::auth::{Role, RpcRoles};

const KIOSK: &[Role] = &[Role::StaffKiosk, Role::DutyOfficer];
const DESK: &[Role] = &[Role::DutyOfficer];
const DESK_AND_SERVICE: &[Role] = &[Role::DutyOfficer, Role::Service];

/// The role table of `hallguard.staff_health.v1.StaffHealth`.
pub fn rpc_roles() -> RpcRoles {
    RpcRoles::default().service(
        "hallguard.staff_health.v1.StaffHealth",
        &[
            ("UpsertStaffMember", DESK),
            ("ImportRoster", DESK),
            ("RemoveStaffMember", DESK),
            ("ListStaff", &[Role::DutyOfficer, Role::Service, Role::Analyst]),
            ("RecordMorningCheck", KIOSK),
            ("CorrectMorningCheck", DESK),
            ("ListMissingMorningChecks", DESK),
            ("SubmitHealthReport", KIOSK),
            ("ListFocusManagement", DESK),
            ("ReleaseFromFocusManagement", DESK),
            ("StartTemperatureSweep", DESK_AND_SERVICE),
            ("GetTemperatureSweep", DESK_AND_SERVICE),
            ("ClockIn", KIOSK),
            ("ClockOut", KIOSK),
            (
                "GetCanteenLayout",
                &[Role::StaffKiosk, Role::DutyOfficer, Role::Analyst],
            ),
            ("GenerateMealSchedule", DESK),
            ("AssignSeats", DESK),
            ("SitDown", KIOSK),
            ("LeaveSeat", KIOSK),
            ("ListStaffOnDuty", DESK),
            ("PlaceDutyHold", DESK_AND_SERVICE),
            ("LiftDutyHold", DESK_AND_SERVICE),
        ],
    )
}
