//! Shared by the collector tests (two binaries: one of them changes a
//! process-wide limit, so it cannot share a process with the others).

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// One HTTP/1.1 request on a fresh connection; returns the raw response. The
/// body goes in two parts with a pause between, so a server that acts before
/// the whole body arrived is caught.
pub async fn send(addr: std::net::SocketAddr, method: &str, body: &[u8]) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let head = format!(
        "{method} /batch HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    let (a, b) = body.split_at(body.len() / 2);
    stream.write_all(a).await?;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    stream.write_all(b).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
}
