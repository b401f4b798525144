//! Connection bounds, over raw sockets on loopback: a silent or half-sent head, an idle
//! kept-alive connection and a slow body are closed; past the connection cap a new
//! connection waits until one closes; HTTP/2 advertises its stream cap. Each server
//! sets only the bound under test small. The 30 s waits only catch a server that never
//! closes; nothing here depends on how fast the machine is.

use std::time::Duration;

use apiary_conformance::TestServer;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Longer than any bound under test by far: reaching it means the server held on.
const HANG: Duration = Duration::from_secs(30);
/// Bounds not under test: longer than any test runs.
const LONG: &str = "3600";

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: apiary\r\n\r\n";

/// Reads until the server closes the connection; what it sent before.
async fn until_closed(stream: &mut TcpStream, what: &str) -> Vec<u8> {
    let mut seen = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(HANG, read_all)
        .await
        .unwrap_or_else(|_| panic!("{what}: still open after {HANG:?}"));
    seen
}

/// Reads one complete `/healthz` answer (its body is JSON ending in `}`).
async fn one_answer(stream: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        while !(seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.ends_with(b"}")) {
            let n = stream.read(&mut buf).await.expect("readable");
            assert!(n > 0, "closed before answering");
            seen.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(HANG, read)
        .await
        .expect("answered in time");
    String::from_utf8_lossy(&seen).into_owned()
}

async fn server_with(postgres: Option<&str>, bounds: &[(&str, &str)]) -> TestServer {
    let mut vars = vec![
        ("HTTP_HEADER_TIMEOUT_SECS", LONG),
        ("HTTP_IDLE_TIMEOUT_SECS", LONG),
        ("HTTP_BODY_TIMEOUT_SECS", LONG),
    ];
    vars.retain(|(name, _)| !bounds.iter().any(|(set, _)| set == name));
    vars.extend_from_slice(bounds);
    TestServer::spawn_with(postgres, &vars).await
}

pub async fn exercise(postgres: Option<&str>) {
    heads_must_arrive_in_time(postgres).await;
    idle_connections_are_closed(postgres).await;
    slow_bodies_are_cut(postgres).await;
    connections_are_capped(postgres).await;
    http2_streams_are_capped(postgres).await;
}

async fn heads_must_arrive_in_time(postgres: Option<&str>) {
    let server = server_with(postgres, &[("HTTP_HEADER_TIMEOUT_SECS", "1")]).await;
    let mut silent = TcpStream::connect(server.address).await.expect("connects");
    let said = until_closed(&mut silent, "a silent connection").await;
    assert!(said.is_empty(), "closed without an answer");

    let mut half = TcpStream::connect(server.address).await.expect("connects");
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: apiary\r\n")
        .await
        .expect("written");
    until_closed(&mut half, "a half-sent head").await;

    // A complete head in time is served as before.
    let mut prompt = TcpStream::connect(server.address).await.expect("connects");
    prompt.write_all(HEALTH).await.expect("written");
    assert!(one_answer(&mut prompt).await.starts_with("HTTP/1.1 200"));
}

async fn idle_connections_are_closed(postgres: Option<&str>) {
    let server = server_with(postgres, &[("HTTP_IDLE_TIMEOUT_SECS", "1")]).await;
    let mut kept = TcpStream::connect(server.address).await.expect("connects");
    kept.write_all(HEALTH).await.expect("written");
    assert!(one_answer(&mut kept).await.starts_with("HTTP/1.1 200"));
    let after = until_closed(&mut kept, "an idle kept-alive connection").await;
    assert!(after.is_empty(), "nothing more was sent");
}

async fn slow_bodies_are_cut(postgres: Option<&str>) {
    let server = server_with(postgres, &[("HTTP_BODY_TIMEOUT_SECS", "1")]).await;
    let mut slow = TcpStream::connect(server.address).await.expect("connects");
    slow.write_all(
        b"POST /v1/users HTTP/1.1\r\nHost: apiary\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"email\": ",
    )
    .await
    .expect("written");
    let answer = until_closed(&mut slow, "a slow body").await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("body timeout"), "{answer}");
}

async fn connections_are_capped(postgres: Option<&str>) {
    let server = server_with(postgres, &[("HTTP_MAX_CONNECTIONS", "2")]).await;
    let mut first = TcpStream::connect(server.address).await.expect("connects");
    let mut second = TcpStream::connect(server.address).await.expect("connects");
    for held in [&mut first, &mut second] {
        held.write_all(HEALTH).await.expect("written");
        assert!(one_answer(held).await.starts_with("HTTP/1.1 200"));
    }
    // Both are kept alive: a third connects (the kernel queues it) but is not served.
    let mut third = TcpStream::connect(server.address).await.expect("connects");
    third.write_all(HEALTH).await.expect("written");
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "a third connection was served while two were open: {early:?}"
    );
    drop(first);
    assert!(
        one_answer(&mut third).await.starts_with("HTTP/1.1 200"),
        "served once a connection closed"
    );
}

async fn http2_streams_are_capped(postgres: Option<&str>) {
    let server = server_with(postgres, &[("HTTP_MAX_H2_STREAMS", "7")]).await;
    let mut h2 = TcpStream::connect(server.address).await.expect("connects");
    // The HTTP/2 preface and an empty SETTINGS frame (cleartext, prior knowledge).
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .expect("written");
    let mut header = [0u8; 9];
    tokio::time::timeout(HANG, h2.read_exact(&mut header))
        .await
        .expect("the server's first frame in time")
        .expect("a frame header");
    assert_eq!(header[3], 0x4, "the server speaks first with SETTINGS");
    let length = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
    let mut payload = vec![0u8; length];
    h2.read_exact(&mut payload).await.expect("the settings");
    let settings: Vec<(u16, u32)> = payload
        .chunks_exact(6)
        .map(|s| {
            (
                u16::from_be_bytes([s[0], s[1]]),
                u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
            )
        })
        .collect();
    // SETTINGS_MAX_CONCURRENT_STREAMS is 0x3.
    assert!(settings.contains(&(0x3, 7)), "{settings:?}");
}
