//! Logs and traces. `tracing` spans everywhere; an OpenTelemetry layer gives every span a
//! W3C trace context, exported over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. The
//! context travels in gRPC metadata (`traceparent`) on every client call and is picked
//! up by every server, and it is stored with outbox messages, so one trace spans a gate
//! check-in, the outbox delivery and the incident it opens.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Flushes pending spans when dropped; keep it alive for the life of the process.
#[derive(Debug)]
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            eprintln!("telemetry shutdown: {error}");
        }
    }
}

/// Installs the global subscriber: `RUST_LOG`-style filter (default `info`), text or JSON
/// lines, and the OpenTelemetry layer. Safe to call twice (tests): the second call only
/// returns a guard.
pub fn init(service_name: &str, format: LogFormat) -> TelemetryGuard {
    let mut builder = SdkTracerProvider::builder().with_resource(
        opentelemetry_sdk::Resource::builder()
            .with_service_name(service_name.to_string())
            .build(),
    );
    if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
        // The exporter reads the endpoint and headers from the standard OTEL_* variables.
        match opentelemetry_otlp::SpanExporter::builder().with_tonic().build() {
            Ok(exporter) => builder = builder.with_batch_exporter(exporter),
            Err(error) => eprintln!("otlp exporter disabled: {error}"),
        }
    }
    let provider = builder.build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let otel_layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("hallguard"));
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to stderr, never mixed with what a command prints (tokens, tables), and
    // carry colour codes only when stderr is a terminal.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt_layer = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(terminal)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let _already_set = tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer)
        .with(otel_layer)
        .try_init();
    TelemetryGuard { provider }
}

/// The current span's context as a W3C `traceparent` value, if there is one.
pub fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove("traceparent")
}

/// Makes `span` a child of the remote context in `traceparent`.
pub fn set_parent_from_traceparent(span: &tracing::Span, traceparent: Option<&str>) {
    let Some(traceparent) = traceparent else { return };
    let carrier = HashMap::from([("traceparent".to_string(), traceparent.to_string())]);
    let context = TraceContextPropagator::new().extract(&carrier);
    let _ignored = span.set_parent(context);
}

/// Writes the current trace context into outgoing gRPC metadata.
pub fn inject_into_metadata(metadata: &mut tonic::metadata::MetadataMap) {
    let context = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&context, &mut MetadataInjector(metadata));
}

/// Makes `span` a child of the trace context in incoming HTTP headers.
pub fn set_parent_from_headers(span: &tracing::Span, headers: &http::HeaderMap) {
    let context = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    let _ignored = span.set_parent(context);
}

struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|key| key.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TraceContextExt;

    #[test]
    fn a_traceparent_written_by_one_span_parents_a_span_elsewhere() {
        let provider = SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            let check_in = tracing::info_span!("check_in");
            let traceparent = check_in.in_scope(current_traceparent).expect("a traceparent");
            let sent_trace = check_in.context().span().span_context().trace_id();
            assert!(traceparent.contains(&sent_trace.to_string()), "{traceparent}");

            let delivery = tracing::info_span!("outbox.deliver");
            set_parent_from_traceparent(&delivery, Some(&traceparent));
            let received_trace = delivery.context().span().span_context().trace_id();
            assert_eq!(received_trace, sent_trace);

            let mut metadata = tonic::metadata::MetadataMap::new();
            delivery.in_scope(|| inject_into_metadata(&mut metadata));
            let mut headers = http::HeaderMap::new();
            headers.insert(
                "traceparent",
                metadata
                    .get("traceparent")
                    .expect("injected")
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap(),
            );
            let server = tracing::info_span!("grpc.request");
            set_parent_from_headers(&server, &headers);
            assert_eq!(server.context().span().span_context().trace_id(), sent_trace);
        });
    }
}
