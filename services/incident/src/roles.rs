//! Who may call which incident RPC.

use hallguard_platform::auth::{Role, RpcRoles};

const DESK: &[Role] = &[Role::DutyOfficer];
const READ: &[Role] = &[Role::DutyOfficer, Role::Analyst];
/// Admins may call everything; an empty list leaves an RPC to them alone.
const ADMIN: &[Role] = &[];
const OPEN: &[Role] = &[Role::Service, Role::DutyOfficer];

/// The role tables of `hallguard.incident.v1.Incidents` and `Hygiene`.
pub fn rpc_roles() -> RpcRoles {
    RpcRoles::default()
        .service(
            "hallguard.incident.v1.Incidents",
            &[
                ("GetOrganisation", READ),
                ("UpdateGroup", DESK),
                ("SetDutyRoster", DESK),
                ("GetDutyRoster", READ),
                ("OpenIncident", OPEN),
                ("GetIncident", READ),
                ("GetIncidentChain", READ),
                ("GetIncidentDocuments", READ),
                ("ListIncidents", READ),
                ("RecordReport", DESK),
                ("RecordIsolation", DESK),
                ("RecordTransferAttempt", DESK),
                ("RecordTracing", DESK),
                ("SubmitUpwardReport", DESK),
                ("OrderDisinfection", DESK),
                ("CompleteDisinfection", DESK),
                ("RecordAftermath", DESK),
                ("ApproveStatement", DESK),
                ("CloseIncident", DESK),
                ("WithdrawIncident", &[Role::DutyOfficer, Role::Service]),
                ("MergeIncidents", DESK),
                ("PlaceLegalHold", ADMIN),
                ("ReleaseLegalHold", ADMIN),
                ("ListTasks", READ),
                ("CompleteTask", DESK),
                ("ListAuditLog", READ),
                ("AddContact", DESK),
                ("ListContacts", READ),
                ("UpdateContactStatus", DESK),
                ("WatchDutyDesk", DESK),
            ],
        )
        .service(
            "hallguard.incident.v1.Hygiene",
            &[
                ("RecordDisinfectionRound", DESK),
                ("GetHygieneCompliance", READ),
                ("RecordStockMovement", DESK),
                ("ListSupplies", READ),
                ("SetThermometerStatus", &[Role::DutyOfficer, Role::GateDevice]),
                ("ListThermometers", READ),
            ],
        )
}
