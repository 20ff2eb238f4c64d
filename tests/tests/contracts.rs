//! The role tables and the outbox kinds checked against the contracts themselves (the
//! descriptor set): a table entry naming no RPC is a typo that leaves the real RPC
//! admin-only; an outbox kind its receiver does not let services call would be refused
//! on every delivery.
#![allow(clippy::unwrap_used)]

use hallguard_platform::auth::{Role, RpcRoles};
use hallguard_platform::outbound::{Destination, Outbound};
use hallguard_platform::server::platform_roles;

/// Each service's role table, as its server merges it, with the proto package it serves.
fn role_table(destination: Destination) -> (RpcRoles, &'static str) {
    let (own, package) = match destination {
        Destination::Screening => (hallguard_screening::roles::rpc_roles(), "hallguard.screening.v1"),
        Destination::StaffHealth => (
            hallguard_staff_health::roles::rpc_roles(),
            "hallguard.staff_health.v1",
        ),
        Destination::Incident => (hallguard_incident::roles::rpc_roles(), "hallguard.incident.v1"),
        Destination::ContactTracing => (
            hallguard_contact_tracing::roles::rpc_roles(),
            "hallguard.contact_tracing.v1",
        ),
    };
    (own.merge(platform_roles()), package)
}

#[test]
fn every_role_table_names_only_rpcs_the_contracts_declare() {
    for destination in Destination::ALL {
        let (table, package) = role_table(destination);
        let mut listed = 0;
        for path in table.paths() {
            listed += 1;
            assert!(
                hallguard_proto::rpc::exists(path),
                "{}: {path} is no RPC of the contracts",
                destination.name()
            );
            assert!(
                path.starts_with(&format!("/{package}.")) || path.starts_with("/hallguard.platform.v1."),
                "{}: {path} is another service's RPC",
                destination.name()
            );
        }
        assert!(listed > 1, "{} lists no RPC of its own", destination.name());
    }
}

#[test]
fn every_outbox_kind_is_an_rpc_its_receiver_lets_services_call() {
    let kinds = Outbound::every_kind();
    assert!(!kinds.is_empty());
    for message in kinds {
        let route = message
            .route()
            .unwrap_or_else(|| panic!("no single RPC of the contracts takes {message:?}"));
        assert!(hallguard_proto::rpc::exists(route.path));
        let (table, package) = role_table(route.destination);
        assert!(
            route.path.starts_with(&format!("/{package}.")),
            "{} is not served by {}",
            route.path,
            route.destination.name()
        );
        assert!(
            table.allows(route.path, Role::Service),
            "{} does not let services call {}: every delivery would be refused",
            route.destination.name(),
            route.path
        );
    }
}
