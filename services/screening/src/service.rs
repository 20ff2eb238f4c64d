//! The screening gRPC handlers. The RPCs are specified in the contract and built in the
//! screening issue; until then the generated defaults answer UNIMPLEMENTED.

use hallguard_proto::screening::v1::screening_server::Screening;

/// The screening service state.
#[derive(Debug, Default)]
pub struct ScreeningService {}

#[tonic::async_trait]
impl Screening for ScreeningService {}
