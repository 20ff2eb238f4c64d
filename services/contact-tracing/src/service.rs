//! The contact-tracing gRPC handlers. The RPCs are specified in the contract and built
//! with the tracing engine; until then the generated defaults answer UNIMPLEMENTED.

use hallguard_proto::contact_tracing::v1::contact_tracing_server::ContactTracing;

/// The contact-tracing service state.
#[derive(Debug, Default)]
pub struct ContactTracingService {}

#[tonic::async_trait]
impl ContactTracing for ContactTracingService {}
