//! A panic in one handler answers INTERNAL for that call only: it is logged and counted,
//! and the connection, its other calls and the server carry on. (Without this a panic
//! unwinds into hyper's connection task and drops every call on the connection.)

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::FutureExt;

use crate::metrics::METRICS;

/// Wraps every call of a server in a panic guard.
#[derive(Debug, Clone)]
pub struct CatchPanicLayer {
    service: &'static str,
}

impl CatchPanicLayer {
    /// A layer counting panics under `service`.
    pub fn new(service: &'static str) -> Self {
        Self { service }
    }
}

impl<S> tower::Layer<S> for CatchPanicLayer {
    type Service = CatchPanicService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CatchPanicService {
            inner,
            service: self.service,
        }
    }
}

/// The service produced by [`CatchPanicLayer`].
#[derive(Debug, Clone)]
pub struct CatchPanicService<S> {
    inner: S,
    service: &'static str,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B> tower::Service<http::Request<B>> for CatchPanicService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>
        + Clone
        + Send
        + 'static,
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
            // Calling may panic as well as polling: both are inside the guard.
            let call = AssertUnwindSafe(async move { inner.call(request).await });
            match call.catch_unwind().await {
                Ok(response) => response,
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|text| (*text).to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    tracing::error!(%rpc, panic = %message, "handler panicked; answered internal");
                    METRICS.handler_panics.with_label_values(&[service, &rpc]).inc();
                    Ok(tonic::Status::internal("internal error; see the server log").into_http())
                }
            }
        })
    }
}
