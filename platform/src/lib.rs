//! What every hallguard service shares: infrastructure only (the hall model and time
//! are `hallguard_domain`).
//!
//! - [`config`]: flags and `HALLGUARD_*` environment, resolved into [`config::Settings`].
//! - [`db`]: the sqlx pool for SQLite or PostgreSQL, with embedded migrations.
//! - [`outbox`]: the transactional outbox and its delivery worker.
//! - [`peers`]: delivering outbox messages to peer services over gRPC.
//! - [`outbound`]: the requests to peers every service writes (incidents, presence).
//! - [`auth`]: bearer tokens, roles, per-RPC role tables, the auth layer and client interceptor.
//! - [`access_log`]: who read whose personal data; [`access_admin`]: listing it over gRPC.
//! - [`assembly`]: one way to assemble a service (database, retention, outbox, tasks).
//! - [`signin`]: people signed in with an identity provider (OIDC JWTs, JWKS keys).
//! - [`server`]: the server bootstrap (health, reflection, timeouts, graceful shutdown).
//! - [`connections`]: connection and stream limits, idle connections closed.
//! - [`catch_panic`]: a panic in a handler answers INTERNAL for that call only.
//! - [`structured`]: documents as `google.protobuf.Struct`, JSON in the database.
//! - [`status`]: building `tonic::Status` values with field violations.
//! - [`error`]: the handlers' error type; [`validate`]: request checks naming the field.
//! - [`feed`]: live duty-desk feeds per hall; [`metrics`]: Prometheus metrics.
//! - [`telemetry`]: logs, traces, OTLP export and W3C propagation.
//! - [`people`]: a contract's person reference as a domain person and back.
//! - [`pseudonym`]: keyed hashing of ID numbers.
//! - [`idempotency`]: client keys scoped to their caller and bound to their request.
//! - [`retention`]: deleting personal data past each hall's limit, with deletion records;
//!   [`retention_admin`]: listing those records over gRPC.
//! - [`tasks`]: background work the server starts with itself and stops with itself.
//! - [`timestamps`]: protobuf timestamps to and from epoch milliseconds.
//! - [`tls`]: TLS for servers and clients (rustls); `https://` is never plain text.

pub mod access_admin;
pub mod access_log;
pub mod assembly;
pub mod auth;
pub mod catch_panic;
pub mod config;
pub mod connections;
pub mod db;
pub mod error;
pub mod feed;
pub mod idempotency;
pub mod jurisdiction;
pub mod metrics;
pub mod outbound;
pub mod outbox;
mod outbox_admin;
pub mod peers;
pub mod people;
pub mod pseudonym;
pub mod retention;
pub mod retention_admin;
pub mod sealing;
pub mod server;
pub mod signin;
pub mod status;
pub mod structured;
pub mod tasks;
pub mod telemetry;
pub mod testing;
pub mod timestamps;
pub mod tls;
pub mod validate;
