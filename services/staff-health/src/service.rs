//! The staff-health gRPC handlers. The RPCs are specified in the contract and built in
//! the staff-health issue; until then the generated defaults answer UNIMPLEMENTED.

use hallguard_proto::staff_health::v1::staff_health_server::StaffHealth;

/// The staff-health service state.
#[derive(Debug, Default)]
pub struct StaffHealthService {}

#[tonic::async_trait]
impl StaffHealth for StaffHealthService {}
