//! Limits on connections: at most so many open at once (the rest wait in the listen
//! backlog rather than exhausting the process's file descriptors, where accept would
//! fail in a loop), and a connection that sends nothing for the idle timeout is closed.
//! Real clients stay: the server pings every HTTP/2 connection more often than the idle
//! timeout, and a client's answer counts as traffic; a socket that never speaks (a
//! flood, a half-open peer) goes.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tokio_stream::Stream;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// How many connections, how idle, how many streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once; more wait to be accepted.
    pub max_connections: usize,
    /// A connection with nothing received for this long is closed.
    pub idle_timeout: Duration,
    /// Concurrent streams (calls) on one HTTP/2 connection.
    pub max_streams_per_connection: u32,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 1_000,
            idle_timeout: Duration::from_secs(120),
            max_streams_per_connection: 200,
        }
    }
}

impl ConnectionLimits {
    /// How often the server pings each HTTP/2 connection: well inside the idle timeout,
    /// so a live client's answers keep its connection.
    pub fn keepalive_interval(&self) -> Duration {
        (self.idle_timeout / 3).min(Duration::from_secs(30))
    }
}

/// An accepted connection holding its place among the open ones, closed (read as end of
/// stream) after the idle timeout without anything received.
#[derive(Debug)]
pub struct LimitedConnection {
    stream: TcpStream,
    idle: Pin<Box<Sleep>>,
    idle_timeout: Duration,
    _place: OwnedSemaphorePermit,
}

impl AsyncRead for LimitedConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    let deadline = Instant::now() + self.idle_timeout;
                    self.idle.as_mut().reset(deadline);
                }
                Poll::Ready(result)
            }
            Poll::Pending => match self.idle.as_mut().poll(cx) {
                // Nothing read: end of stream, and the server closes the connection.
                Poll::Ready(()) => Poll::Ready(Ok(())),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for LimitedConnection {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

impl Connected for LimitedConnection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

/// The listener's connections, at most `limits.max_connections` open at once. An accept
/// that fails (out of file descriptors, say) waits a moment instead of spinning.
pub fn incoming(
    listener: TcpListener,
    limits: ConnectionLimits,
) -> impl Stream<Item = io::Result<LimitedConnection>> {
    let places = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    futures_util::stream::unfold((listener, places), move |(listener, places)| async move {
        let Ok(place) = places.clone().acquire_owned().await else {
            return None;
        };
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let connection = LimitedConnection {
                        stream,
                        idle: Box::pin(tokio::time::sleep(limits.idle_timeout)),
                        idle_timeout: limits.idle_timeout,
                        _place: place,
                    };
                    return Some((Ok(connection), (listener, places)));
                }
                Err(error) => {
                    tracing::warn!(%error, "accept failed; retrying shortly");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}
