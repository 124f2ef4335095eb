//! Accept loop and per-connection tasks: TLS handshake, HTTP/1.1 or HTTP/2
//! serving, and the abrupt close that the reset fault needs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use tracing::{debug, info, warn};

/// A client that connects and never finishes the handshake should not hold a
/// task forever.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Pause after a failed `accept`, which usually means the process is out of
/// file descriptors. Retrying at once would spin.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// Handle, stored in each request's extensions, through which a handler can
/// ask for its connection to be closed with a TCP reset.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionControl {
    reset: Arc<Notify>,
}

impl ConnectionControl {
    fn new() -> Self {
        Self {
            reset: Arc::new(Notify::new()),
        }
    }

    /// Asks the connection task to drop the connection with a reset.
    pub(crate) fn request_reset(&self) {
        // `notify_one` stores a permit, so the request is not lost if the
        // connection task is not waiting at this instant.
        self.reset.notify_one();
    }
}

/// Accepts connections until `shutdown` fires or its sender is dropped.
///
/// Connection tasks are not awaited here: the caller drops the runtime after
/// this returns, which cancels them.
pub(crate) async fn run(
    listener: TcpListener,
    tls_config: Arc<ServerConfig>,
    app: Router,
    mut shutdown: oneshot::Receiver<()>,
) {
    let acceptor = TlsAcceptor::from(tls_config);

    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(serve_connection(stream, peer, acceptor.clone(), app.clone()));
                }
                Err(error) => {
                    warn!(%error, "failed to accept a connection; retrying");
                    tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                }
            },
        }
    }
    info!("simulator stopped accepting connections");
}

async fn serve_connection(stream: TcpStream, peer: SocketAddr, acceptor: TlsAcceptor, app: Router) {
    if let Err(error) = stream.set_nodelay(true) {
        debug!(%peer, %error, "failed to set TCP_NODELAY");
    }
    // A second descriptor for the same socket, kept so that SO_LINGER can be
    // set after the stream has moved into the TLS and HTTP layers.
    let linger_handle = match socket2::SockRef::from(&stream).try_clone() {
        Ok(socket) => Some(socket),
        Err(error) => {
            warn!(%peer, %error, "failed to duplicate the socket; a reset fault on this connection will close it without a reset");
            None
        }
    };

    let tls_stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls_stream)) => tls_stream,
        Ok(Err(error)) => {
            debug!(%peer, %error, "TLS handshake failed");
            return;
        }
        Err(_) => {
            debug!(%peer, "TLS handshake timed out");
            return;
        }
    };

    let control = ConnectionControl::new();
    let reset_requested = Arc::clone(&control.reset);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(control.clone());
        app.clone().oneshot(request)
    });

    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(tls_stream), service);
    let mut connection = std::pin::pin!(connection);

    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                debug!(%peer, %error, "connection ended with an error");
            }
        }
        () = reset_requested.notified() => {
            // With a zero linger time, closing the last descriptor sends RST
            // instead of FIN, which is what a client sees when a gateway or
            // load balancer drops a connection.
            if let Some(socket) = &linger_handle
                && let Err(error) = socket.set_linger(Some(Duration::ZERO))
            {
                warn!(%peer, %error, "failed to set SO_LINGER to zero; the connection closes without a reset");
            }
        }
    }
    // The socket closes when both the connection and `linger_handle` are
    // dropped at the end of this function, whichever goes last.
}
