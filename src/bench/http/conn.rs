//! One keep-alive HTTP/1.1 connection, as lean as a load client can be:
//! a request is formatted into one buffer and written with one call; the
//! response head is parsed with `httparse` and its `Content-Length` body
//! read. It reconnects when the server closes the connection. Chunked
//! bodies are refused (the Agora API always sends a length).

use std::net::SocketAddr;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Most response headers parsed.
const MAX_HEADERS: usize = 32;
/// Largest response head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// A response: its status and body.
#[derive(Debug)]
pub(super) struct Response {
    /// HTTP status code.
    pub(super) status: u16,
    /// The body bytes.
    pub(super) body: Vec<u8>,
}

impl Response {
    /// Whether the status is 2xx.
    pub(super) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON.
    pub(super) fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).context("the response body is not JSON")
    }
}

/// A request to send.
pub(super) struct Request<'a> {
    /// `GET`, `POST`, `PUT`...
    pub(super) method: &'a str,
    /// Path and query.
    pub(super) path: &'a str,
    /// Bearer token, if any.
    pub(super) token: Option<&'a str>,
    /// A JSON body, if any.
    pub(super) json: Option<&'a [u8]>,
}

/// A keep-alive connection to one server.
pub(super) struct Connection {
    addr: SocketAddr,
    host: String,
    stream: Option<TcpStream>,
    out: Vec<u8>,
    buf: Vec<u8>,
}

impl Connection {
    /// A connection to `addr` (opened at the first request).
    pub(super) fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            host: addr.to_string(),
            stream: None,
            out: Vec::with_capacity(1024),
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    /// Sends `request` and reads the whole response. A failure leaves the
    /// connection closed; the next request reconnects.
    pub(super) async fn send(&mut self, request: &Request<'_>) -> anyhow::Result<Response> {
        let result = self.exchange(request).await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    async fn exchange(&mut self, request: &Request<'_>) -> anyhow::Result<Response> {
        self.format(request);
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr)
                .await
                .with_context(|| format!("connecting to {}", self.addr))?;
            stream.set_nodelay(true).context("setting TCP_NODELAY")?;
            self.stream = Some(stream);
            self.buf.clear();
        }
        let Some(stream) = self.stream.as_mut() else {
            bail!("not connected");
        };
        stream
            .write_all(&self.out)
            .await
            .context("writing the request")?;
        let (status, head_len, body_len, close) = read_head(stream, &mut self.buf).await?;
        let total = head_len + body_len;
        while self.buf.len() < total {
            read_more(stream, &mut self.buf).await?;
        }
        let body = self.buf[head_len..total].to_vec();
        self.buf.drain(..total);
        if close {
            self.stream = None;
        }
        Ok(Response { status, body })
    }

    fn format(&mut self, request: &Request<'_>) {
        use std::io::Write as _;
        let out = &mut self.out;
        out.clear();
        // Writing into a Vec cannot fail.
        let _ = write!(
            out,
            "{} {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n",
            request.method, request.path, self.host
        );
        if let Some(token) = request.token {
            let _ = write!(out, "Authorization: Bearer {token}\r\n");
        }
        match request.json {
            Some(body) => {
                let _ = write!(
                    out,
                    "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                out.extend_from_slice(body);
            }
            None if request.method == "GET" => out.extend_from_slice(b"\r\n"),
            None => out.extend_from_slice(b"Content-Length: 0\r\n\r\n"),
        }
    }
}

/// Reads until a whole response head is in `buf`; returns the status, the
/// head's length, the body's length and whether the server closes after it.
async fn read_head(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> anyhow::Result<(u16, usize, usize, bool)> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(buf).context("parsing the response head")? {
            httparse::Status::Complete(head_len) => {
                let status = response.code.unwrap_or(0);
                let mut body_len = 0;
                let mut close = false;
                for header in response.headers.iter() {
                    if header.name.eq_ignore_ascii_case("content-length") {
                        body_len = std::str::from_utf8(header.value)
                            .ok()
                            .and_then(|v| v.trim().parse().ok())
                            .context("a bad Content-Length")?;
                    } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                        bail!("chunked responses are not supported by the bench client");
                    } else if header.name.eq_ignore_ascii_case("connection") {
                        close = header.value.eq_ignore_ascii_case(b"close");
                    }
                }
                return Ok((status, head_len, body_len, close));
            }
            httparse::Status::Partial => {
                if buf.len() > MAX_HEAD_BYTES {
                    bail!("the response head is larger than {MAX_HEAD_BYTES} bytes");
                }
                read_more(stream, buf).await?;
            }
        }
    }
}

/// Appends what the socket has to `buf`; fails when the peer closed.
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream
        .read(&mut chunk)
        .await
        .context("reading the response")?;
    if n == 0 {
        bail!("the server closed the connection");
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}
