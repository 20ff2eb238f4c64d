//! The RPCs as the contracts declare them, read from the descriptor set: a request's
//! path is found from its message type, never written out as a string.

use std::collections::HashMap;
use std::sync::LazyLock;

use prost_reflect::DescriptorPool;

/// Every hallguard descriptor, decoded once.
pub(crate) static DESCRIPTORS: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(crate::FILE_DESCRIPTOR_SET)
        .expect("the descriptor set built with the crate decodes")
});

/// One RPC of the contracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rpc {
    /// The proto package, e.g. `hallguard.incident.v1`.
    pub package: String,
    /// The gRPC path, e.g. `/hallguard.incident.v1.Incidents/OpenIncident`.
    pub path: String,
}

/// Request message (full name) -> the one RPC that takes it. A message taken by two
/// RPCs has no entry: it does not say by itself which to call.
static BY_REQUEST: LazyLock<HashMap<String, Option<Rpc>>> = LazyLock::new(|| {
    let mut by_request: HashMap<String, Option<Rpc>> = HashMap::new();
    for service in DESCRIPTORS.services() {
        for method in service.methods() {
            let rpc = Rpc {
                package: service.package_name().to_string(),
                path: format!("/{}/{}", service.full_name(), method.name()),
            };
            by_request
                .entry(method.input().full_name().to_string())
                .and_modify(|seen| *seen = None)
                .or_insert(Some(rpc));
        }
    }
    by_request
});

/// The RPC whose request is the message `M`, if exactly one takes it.
pub fn taking<M: prost::Name>() -> Option<&'static Rpc> {
    BY_REQUEST.get(&M::full_name())?.as_ref()
}

/// Whether the contracts declare an RPC at `path` (`/package.Service/Method`).
pub fn exists(path: &str) -> bool {
    let Some((service, method)) = path.trim_start_matches('/').split_once('/') else {
        return false;
    };
    DESCRIPTORS
        .get_service_by_name(service)
        .is_some_and(|service| service.methods().any(|m| m.name() == method))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_finds_its_rpc_and_paths_are_checked_against_the_contracts() {
        let rpc = taking::<crate::incident::v1::OpenIncidentRequest>().expect("one RPC takes it");
        assert_eq!(rpc.path, "/hallguard.incident.v1.Incidents/OpenIncident");
        assert_eq!(rpc.package, "hallguard.incident.v1");
        assert!(exists(&rpc.path));
        assert!(!exists("/hallguard.incident.v1.Incidents/NoSuchMethod"));
        assert!(!exists("/hallguard.incident.v1.NoSuchService/OpenIncident"));
        assert!(!exists("not a path"));
        // A common message is no RPC's request.
        assert_eq!(taking::<crate::common::v1::PersonRef>(), None);
    }
}
