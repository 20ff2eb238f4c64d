//! The gRPC contracts of hallguard, generated at build time from `proto/hallguard`.
//!
//! One module per package: [`common`] for shared types, then one per service. The
//! [`FILE_DESCRIPTOR_SET`] feeds server reflection so `grpcurl` works without files;
//! [`rpc`] finds an RPC's path from its request type in those descriptors.

#![allow(missing_docs, clippy::all, missing_debug_implementations)]

/// A generated enum's name in words, without its prefix: `INCIDENT_STATE_REPORTED_UPWARD`
/// with prefix `INCIDENT_STATE_` reads `reported upward`.
pub fn enum_words(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix).to_lowercase().replace('_', " ")
}

pub mod codec;
pub mod rpc;

/// Encoded descriptors of every hallguard proto, for tonic-reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hallguard_descriptor.bin"));

/// Shared types: people, zones, time windows, paging.
pub mod common {
    pub mod v1 {
        tonic::include_proto!("hallguard.common.v1");
    }
}

/// What every server exposes besides health and reflection (the outbox backlog).
pub mod platform {
    pub mod v1 {
        tonic::include_proto!("hallguard.platform.v1");
    }
}

/// Entry screening at the gates.
pub mod screening {
    pub mod v1 {
        tonic::include_proto!("hallguard.screening.v1");
    }
}

/// Staff health and canteen seating.
pub mod staff_health {
    pub mod v1 {
        tonic::include_proto!("hallguard.staff_health.v1");
    }
}

/// The seven-step incident response, hygiene and supplies.
pub mod incident {
    pub mod v1 {
        tonic::include_proto!("hallguard.incident.v1");
    }
}

/// Contact tracing over the co-presence graph.
pub mod contact_tracing {
    pub mod v1 {
        tonic::include_proto!("hallguard.contact_tracing.v1");
    }
}
