//! The incident gRPC handlers. The RPCs are specified in the contract and built in the
//! incident issue; until then the generated defaults answer UNIMPLEMENTED.

use hallguard_proto::incident::v1::hygiene_server::Hygiene;
use hallguard_proto::incident::v1::incidents_server::Incidents;

/// The incident workflow state.
#[derive(Debug, Default)]
pub struct IncidentService {}

#[tonic::async_trait]
impl Incidents for IncidentService {}

/// Routine hygiene and supplies.
#[derive(Debug, Default)]
pub struct HygieneService {}

#[tonic::async_trait]
impl Hygiene for HygieneService {}
