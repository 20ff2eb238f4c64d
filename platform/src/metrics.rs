//! Prometheus metrics: gRPC requests by service, RPC and status code with latency
//! histograms; outbox backlog and delivery failures; database pool use; and the
//! contact-tracing graph's size and build and query times. One registry per process
//! (`serve all` labels each series with its service), served as text on
//! `HALLGUARD_METRICS_LISTEN` at `/metrics`.

use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Every metric of the process.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// gRPC requests by service, rpc and code.
    pub requests: IntCounterVec,
    /// gRPC request latency by service and rpc.
    pub latency: HistogramVec,
    /// Undelivered outbox messages by service and destination.
    pub outbox_backlog: IntGaugeVec,
    /// Failed delivery attempts by service and destination.
    pub outbox_failures: IntCounterVec,
    /// Database connections by service and state (idle, used).
    pub pool_connections: IntGaugeVec,
    /// Intervals held by the contact-tracing graph.
    pub graph_intervals: IntGauge,
    /// People in the graph.
    pub graph_people: IntGauge,
    /// Pair-place-day evidence records in the graph.
    pub graph_pairs: IntGauge,
    /// Seconds the last full build took.
    pub graph_build_seconds: Gauge,
    /// Contact-tracing query time by query.
    pub graph_query_seconds: HistogramVec,
    /// Stored presence rows the engine refused when the graph was rebuilt.
    pub graph_rows_skipped: IntGauge,
    /// The last stored presence number the contact-tracing graph holds.
    pub graph_followed_seq: IntGauge,
    /// Stored presence rows not yet in this instance's graph.
    pub graph_follow_lag: IntGauge,
    /// Requests whose handler panicked (answered INTERNAL, the server kept serving).
    pub handler_panics: IntCounterVec,
    /// Outbox messages parked for an operator.
    pub outbox_parked: IntCounterVec,
}

#[allow(clippy::expect_used)]
fn build() -> Metrics {
    let registry = Registry::new();
    let requests = IntCounterVec::new(
        Opts::new(
            "hallguard_grpc_requests_total",
            "gRPC requests by service, RPC and status code",
        ),
        &["service", "rpc", "code"],
    )
    .expect("valid metric");
    let latency = HistogramVec::new(
        HistogramOpts::new("hallguard_grpc_request_duration_seconds", "gRPC request latency").buckets(vec![
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ]),
        &["service", "rpc"],
    )
    .expect("valid metric");
    let outbox_backlog = IntGaugeVec::new(
        Opts::new(
            "hallguard_outbox_backlog",
            "Undelivered outbox messages by destination",
        ),
        &["service", "destination"],
    )
    .expect("valid metric");
    let outbox_failures = IntCounterVec::new(
        Opts::new(
            "hallguard_outbox_delivery_failures_total",
            "Failed outbox delivery attempts",
        ),
        &["service", "destination"],
    )
    .expect("valid metric");
    let pool_connections = IntGaugeVec::new(
        Opts::new(
            "hallguard_db_pool_connections",
            "Database pool connections by state",
        ),
        &["service", "state"],
    )
    .expect("valid metric");
    let graph_intervals =
        IntGauge::new("hallguard_graph_intervals", "Intervals in the contact graph").expect("valid metric");
    let graph_people =
        IntGauge::new("hallguard_graph_people", "People in the contact graph").expect("valid metric");
    let graph_pairs = IntGauge::new(
        "hallguard_graph_pairs",
        "Pair-place-day evidence records in the contact graph",
    )
    .expect("valid metric");
    let graph_build_seconds = Gauge::new(
        "hallguard_graph_build_seconds",
        "Seconds the last full graph build took",
    )
    .expect("valid metric");
    let graph_query_seconds = HistogramVec::new(
        HistogramOpts::new("hallguard_graph_query_seconds", "Contact-tracing query time")
            .buckets(vec![0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0]),
        &["query"],
    )
    .expect("valid metric");
    let graph_rows_skipped = IntGauge::new(
        "hallguard_graph_rows_skipped",
        "Stored presence rows the engine refused at the last rebuild",
    )
    .expect("valid metric");
    let graph_followed_seq = IntGauge::new(
        "hallguard_graph_followed_seq",
        "The last stored presence number the contact-tracing graph holds",
    )
    .expect("valid metric");
    let graph_follow_lag = IntGauge::new(
        "hallguard_graph_follow_lag",
        "Stored presence rows not yet in this contact-tracing instance's graph (after each follow)",
    )
    .expect("valid metric");
    let handler_panics = IntCounterVec::new(
        Opts::new(
            "hallguard_handler_panics_total",
            "Requests whose handler panicked, answered INTERNAL",
        ),
        &["service", "rpc"],
    )
    .expect("valid metric");
    let outbox_parked = IntCounterVec::new(
        Opts::new(
            "hallguard_outbox_parked_total",
            "Outbox messages parked for an operator (refused, or failing the same way)",
        ),
        &["service", "destination"],
    )
    .expect("valid metric");
    for collector in [
        Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
        Box::new(latency.clone()),
        Box::new(outbox_backlog.clone()),
        Box::new(outbox_failures.clone()),
        Box::new(pool_connections.clone()),
        Box::new(graph_intervals.clone()),
        Box::new(graph_people.clone()),
        Box::new(graph_pairs.clone()),
        Box::new(graph_build_seconds.clone()),
        Box::new(graph_query_seconds.clone()),
        Box::new(graph_rows_skipped.clone()),
        Box::new(graph_followed_seq.clone()),
        Box::new(graph_follow_lag.clone()),
        Box::new(handler_panics.clone()),
        Box::new(outbox_parked.clone()),
    ] {
        registry.register(collector).expect("metric registered once");
    }
    Metrics {
        registry,
        requests,
        latency,
        outbox_backlog,
        outbox_failures,
        pool_connections,
        graph_intervals,
        graph_people,
        graph_pairs,
        graph_build_seconds,
        graph_query_seconds,
        graph_rows_skipped,
        graph_followed_seq,
        graph_follow_lag,
        handler_panics,
        outbox_parked,
    }
}

/// The process's metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(build);

impl Metrics {
    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Serves `/metrics` on `listener` until the process ends: a plain HTTP/1.1 answer per
/// connection, which is all a Prometheus scrape needs.
pub async fn serve(listener: TcpListener) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let mut request = [0u8; 1024];
            let read = stream.read(&mut request).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&request[..read]);
            let (status, body) = if head.starts_with("GET /metrics") {
                ("200 OK", METRICS.render())
            } else {
                ("404 Not Found", "see /metrics\n".to_string())
            };
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        });
    }
}

/// Records requests of one service: count by code, latency.
#[derive(Debug, Clone)]
pub struct MetricsLayer {
    service: &'static str,
}

impl MetricsLayer {
    /// A layer labelling its series with `service`.
    pub fn new(service: &'static str) -> Self {
        Self { service }
    }
}

impl<S> tower::Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MetricsService {
            inner,
            service: self.service,
        }
    }
}

/// The service produced by [`MetricsLayer`].
#[derive(Debug, Clone)]
pub struct MetricsService<S> {
    inner: S,
    service: &'static str,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B, R> tower::Service<http::Request<B>> for MetricsService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let rpc = request.uri().path().to_string();
        let service = self.service;
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let started = Instant::now();
            let response = inner.call(request).await;
            // A failed call is answered trailers-only, so its status is in the headers;
            // a successful one has it in the trailers, after the body.
            let code = match &response {
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .map_or_else(|| "0".to_string(), str::to_string),
                Err(_) => "transport".to_string(),
            };
            METRICS.requests.with_label_values(&[service, &rpc, &code]).inc();
            METRICS
                .latency
                .with_label_values(&[service, &rpc])
                .observe(started.elapsed().as_secs_f64());
            response
        })
    }
}
