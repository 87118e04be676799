//! A small SMTP server for the tests: it speaks enough SMTP over real TCP for lettre, keeps
//! what it receives, can refuse the next messages with a temporary error, and can be stopped
//! and started again on the same port, as a relay outage would look.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::{JoinHandle, JoinSet};

#[derive(Default)]
struct Received {
    messages: std::sync::Mutex<Vec<Vec<u8>>>,
    refuse_next: AtomicUsize,
    /// Milliseconds the sink waits, holding a message, before it says it took it.
    accept_delay_ms: AtomicUsize,
}

pub struct SmtpSink {
    pub port: u16,
    received: Arc<Received>,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpSink {
    /// A sink listening on a free port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let port = listener.local_addr().expect("address").port();
        let sink = Self::stopped(port);
        *sink.server.lock().await = Some(serve(listener, sink.received.clone()));
        sink
    }

    /// A sink that is not listening yet, on a port nobody else uses now.
    pub fn reserved() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port();
        Self::stopped(port)
    }

    fn stopped(port: u16) -> Self {
        Self { port, received: Arc::new(Received::default()), server: Mutex::new(None) }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port.
    pub async fn resume(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.expect("rebind sink");
        *self.server.lock().await = Some(serve(listener, self.received.clone()));
    }

    /// Stops listening and drops every open connection.
    pub async fn stop(&self) {
        if let Some(server) = self.server.lock().await.take() {
            server.abort();
            let _ = server.await;
        }
    }

    /// Answers the next `count` messages with `451` (try again later).
    /// From now on the sink holds each message this long before it answers that it took it.
    pub fn delay_acceptance(&self, delay: Duration) {
        self.received.accept_delay_ms.store(delay.as_millis() as usize, Ordering::SeqCst);
    }

    pub fn refuse_next(&self, count: usize) {
        self.received.refuse_next.store(count, Ordering::SeqCst);
    }

    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.received.messages.lock().expect("lock").clone()
    }

    /// Waits until at least `count` messages arrived (at most 15 s), then returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Vec<u8>> {
        for _ in 0..150 {
            if self.messages().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.messages()
    }
}

fn serve(listener: TcpListener, received: Arc<Received>) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Connections live in this set: aborting the server drops them all.
        let mut connections = JoinSet::new();
        while let Ok((stream, _)) = listener.accept().await {
            connections.spawn(converse(stream, received.clone()));
        }
    })
}

async fn converse(stream: TcpStream, received: Arc<Received>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 sink ESMTP ready\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            "DATA" => {
                if write.write_all(b"354 go ahead\r\n").await.is_err() {
                    return;
                }
                let Some(message) = read_data(&mut lines).await else { return };
                let refuse =
                    received.refuse_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                if refuse {
                    b"451 try again later\r\n"
                } else {
                    received.messages.lock().expect("lock").push(message);
                    let delay = received.accept_delay_ms.load(Ordering::SeqCst) as u64;
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    b"250 queued\r\n"
                }
            }
            _ => b"502 not implemented\r\n",
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}

/// The message up to the lone `.` line, with dot-stuffing undone.
async fn read_data(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    loop {
        let mut line = Vec::new();
        if lines.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        if line == b".\r\n" {
            return Some(message);
        }
        let unstuffed = if line.starts_with(b"..") { &line[1..] } else { &line[..] };
        message.extend_from_slice(unstuffed);
    }
}

/// A relay that accepts connections, says `greeting` (if any) and then never another word.
/// Returns its URL and how many connections it accepted.
pub async fn silent_relay(greeting: Option<&'static str>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            if let Some(greeting) = greeting {
                let _ = stream.write_all(greeting.as_bytes()).await;
            }
            held.push(stream);
        }
    });
    (url, accepted)
}
