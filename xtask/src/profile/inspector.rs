//! V8's inspector in workerd, as the profiler needs it: the Worker's DevTools target and a
//! DevTools protocol session over WebSocket, on loopback only.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{json, Value};

use crate::util::Context;
use crate::{bail, http, Result};

/// The WebSocket URL of workerd's DevTools target (`GET /json`; the Worker `main`).
pub fn debugger_url(inspector: SocketAddr) -> Result<String> {
    let answer = http::get(inspector, "/json", Duration::from_secs(10))?;
    let targets = answer.json()?;
    let list = targets.as_array().cloned().unwrap_or_default();
    let target = list.iter().find(|t| t["id"] == "main").or_else(|| list.first());
    let Some(url) = target.and_then(|t| t["webSocketDebuggerUrl"].as_str()) else {
        bail!("the inspector lists no target: {}", answer.body)
    };
    Ok(url.to_string())
}

/// A DevTools protocol session over WebSocket.
pub struct Cdp {
    socket: tungstenite::WebSocket<TcpStream>,
    next_id: u64,
}

impl Cdp {
    /// Connects to the target at `url` (`ws://127.0.0.1:…/…`; anything but loopback is refused).
    pub fn connect(url: &str) -> Result<Cdp> {
        let Some(host) = url.strip_prefix("ws://").and_then(|rest| rest.split('/').next()) else {
            bail!("unexpected debugger URL {url}")
        };
        let addr: SocketAddr = host.parse().context(|| format!("debugger URL {url}"))?;
        if !addr.ip().is_loopback() {
            bail!("the inspector must listen on loopback, not {addr}");
        }
        let stream =
            TcpStream::connect_timeout(&addr, Duration::from_secs(10)).context(|| format!("connect {addr}"))?;
        // Profiler.stop can take a while on a long profile; nothing else should block.
        stream.set_read_timeout(Some(Duration::from_secs(300)))?;
        let config = tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(1 << 30))
            .max_frame_size(Some(1 << 30));
        let (socket, _) = tungstenite::client::client_with_config(url, stream, Some(config))
            .map_err(|e| crate::Error(format!("WebSocket handshake with {url}: {e}")))?;
        Ok(Cdp { socket, next_id: 1 })
    }

    /// Sends a command and returns its `result`; events in between are skipped.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let text = json!({ "id": id, "method": method, "params": params }).to_string();
        self.socket.send(tungstenite::Message::text(text)).context(|| format!("send {method}"))?;
        loop {
            let message = self.socket.read().context(|| format!("waiting for the answer to {method}"))?;
            let text = match message {
                tungstenite::Message::Text(t) => t.as_str().to_owned(),
                tungstenite::Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                tungstenite::Message::Close(_) => bail!("the inspector closed the connection during {method}"),
                _ => continue,
            };
            let mut answer: Value = serde_json::from_str(&text).context(|| format!("{method}: not JSON"))?;
            if answer["id"] != id {
                continue;
            }
            if let Some(error) = answer.get("error") {
                bail!("{method} failed: {error}");
            }
            return Ok(answer.get_mut("result").map(Value::take).unwrap_or(Value::Null));
        }
    }
}

impl Drop for Cdp {
    fn drop(&mut self) {
        let _ = self.socket.close(None);
        let _ = self.socket.flush();
    }
}
