//! Who may call which contact-tracing RPC.

use hallguard_platform::auth::{Role, RpcRoles};

const INGEST: &[Role] = &[Role::Service];
const QUERY: &[Role] = &[Role::Analyst, Role::DutyOfficer, Role::Service];

/// The role table of `hallguard.contact_tracing.v1.ContactTracing`.
pub fn rpc_roles() -> RpcRoles {
    RpcRoles::default().service(
        "hallguard.contact_tracing.v1.ContactTracing",
        &[
            ("IngestPresence", INGEST),
            ("IngestPresenceBatch", INGEST),
            ("FindContacts", QUERY),
            ("GetTrajectory", QUERY),
            ("FindClusters", QUERY),
            ("FindTransmissionChains", QUERY),
            ("WhoWasThere", QUERY),
            ("ListExposures", QUERY),
            ("ExportSubgraph", QUERY),
            ("GetGraphStats", QUERY),
        ],
    )
}
