//! The connection: one `kurrentdb::Client`, replaced by a fresh one when it
//! breaks, and the mapping of its errors to [`StoreError`].
//!
//! Why replace it: a kurrentdb 1.2 client stops for good when its first
//! connection attempt fails (its connection task exits; every later call
//! answers `ConnectionClosed`), and once connected it never re-runs node
//! discovery after a transport error — only a `NotLeader` answer makes it
//! move. A client that failed on a transport error is therefore swapped for
//! a new one, which discovers the cluster afresh on its first call. The
//! failing call itself still fails (the caller retries, as for any
//! [`StoreError::Backend`]); only `NotLeader` is retried here, once, because
//! nothing was written and the client has already moved to the leader.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use kurrentdb::{Client, ClientSettings, Error};
use parking_lot::RwLock;

use crate::error::StoreError;

/// A failed call: the raw error, and which client generation made it.
#[derive(Debug)]
pub(super) struct CallError {
    pub(super) generation: u64,
    pub(super) error: Error,
}

struct Current {
    generation: u64,
    client: Client,
}

/// The client in use and how to make another.
pub(super) struct Connection {
    settings: ClientSettings,
    /// The connection string with credentials redacted.
    display: String,
    current: RwLock<Current>,
}

impl Connection {
    /// A connection that will connect on first use. Must run inside a tokio
    /// runtime (the client spawns its connection task on it).
    pub(super) fn new(settings: ClientSettings, display: String) -> Result<Self, StoreError> {
        let client = new_client(&settings)?;
        Ok(Self {
            settings,
            display,
            current: RwLock::new(Current {
                generation: 0,
                client,
            }),
        })
    }

    /// The connection string with credentials redacted.
    pub(super) fn display(&self) -> &str {
        &self.display
    }

    /// The client to use now, with its generation (for [`Self::fail`]).
    pub(super) fn client(&self) -> (u64, Client) {
        let current = self.current.read();
        (current.generation, current.client.clone())
    }

    /// Runs `op` with the current client, once more if the node answered
    /// that it is not the leader.
    pub(super) async fn call<T, F, Fut>(&self, mut op: F) -> Result<T, CallError>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut redirected = false;
        loop {
            let (generation, client) = self.client();
            match op(client).await {
                Ok(value) => return Ok(value),
                Err(Error::NotLeaderException(_)) if !redirected => redirected = true,
                Err(error) => return Err(CallError { generation, error }),
            }
        }
    }

    /// The store error for a failed call made while `context`; replaces the
    /// client if the failure says its connection is gone.
    pub(super) fn fail(&self, failure: CallError, context: &str) -> StoreError {
        let CallError { generation, error } = failure;
        let breaks = matches!(
            error,
            Error::GrpcConnectionError(_)
                | Error::ConnectionClosed
                | Error::ServerError(_)
                | Error::DeadlineExceeded
        );
        let message = match &error {
            Error::GrpcConnectionError(e) if context.contains(&self.display) => {
                format!("{context}: no EventStoreDB node answered: {e}")
            }
            Error::GrpcConnectionError(e) => {
                format!(
                    "{context}: cannot reach EventStoreDB at {}: {e}",
                    self.display
                )
            }
            Error::ConnectionClosed => format!(
                "{context}: the connection to EventStoreDB at {} is closed",
                self.display
            ),
            Error::ServerError(e) => {
                format!("{context}: EventStoreDB failed or is unavailable: {e}")
            }
            Error::DeadlineExceeded => {
                format!("{context}: EventStoreDB did not answer before the deadline")
            }
            Error::AccessDenied => format!(
                "{context}: access denied by EventStoreDB; check the credentials in the \
                 connection string (this backend reads $all, which needs admin rights or an ACL)"
            ),
            Error::ResourceDeleted => format!("{context}: the stream was deleted in EventStoreDB"),
            Error::NotLeaderException(leader) => format!(
                "{context}: the node is not the leader (the leader is {}:{})",
                leader.host, leader.port
            ),
            other => format!("{context}: {other}"),
        };
        if breaks {
            self.renew(generation);
        }
        StoreError::Backend(message)
    }

    /// Replaces the client of `generation` (if it is still the current one)
    /// by a new one.
    fn renew(&self, generation: u64) {
        let mut current = self.current.write();
        if current.generation != generation {
            return;
        }
        match new_client(&self.settings) {
            Ok(client) => {
                current.client = client;
                current.generation += 1;
                tracing::warn!(
                    url = %self.display,
                    "EventStoreDB connection failed; the next call reconnects with a new client"
                );
            }
            Err(e) => {
                tracing::error!(url = %self.display, error = %e, "cannot renew the EventStoreDB client");
            }
        }
    }
}

/// A new client. kurrentdb panics on some bad settings (an unreadable
/// `tlsCaFile` PEM, no tokio runtime): that becomes an error here.
fn new_client(settings: &ClientSettings) -> Result<Client, StoreError> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| Client::new(settings.clone()))) {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(StoreError::Backend(format!(
            "cannot create the EventStoreDB client: {e}"
        ))),
        Err(_) => Err(StoreError::Backend(
            "creating the EventStoreDB client panicked; check tlsCaFile / userCertFile / \
             userKeyFile in the connection string"
                .into(),
        )),
    }
}
