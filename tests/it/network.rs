//! `settings.proxy` and `settings.ca_file` against local stand-ins: a forwarding HTTP proxy
//! that records what it is asked, and an HTTPS site whose certificate comes from a test CA.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pressfeed::config::Config;
use pressfeed::http::Fetcher;
use url::Url;

use crate::common::{FixtureServer, fixture_dir, pressfeed};

/// A forwarding HTTP proxy on 127.0.0.1: records each request line (absolute form) and
/// relays the request to its origin, one request per connection.
struct RecordingProxy {
    addr: std::net::SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl RecordingProxy {
    fn start() -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || relay(client, &log));
            }
        });
        RecordingProxy { addr, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// Reads one request head, records its request line, sends it on in origin form with
/// `Connection: close`, and copies the answer back.
fn relay(client: TcpStream, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let line = line.trim_end().to_string();
    log.lock().unwrap().push(line.clone());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        let name = h.split(':').next().unwrap_or("").to_ascii_lowercase();
        if name != "connection" && name != "proxy-connection" {
            headers.push(h);
        }
    }
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap(), parts.next().unwrap());
    let Ok(url) = Url::parse(target) else {
        let _ = (&client).write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let mut upstream = TcpStream::connect((
        url.host_str().unwrap(),
        url.port_or_known_default().unwrap(),
    ))
    .unwrap();
    let path = &url[url::Position::BeforePath..];
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for h in headers {
        head.push_str(&h);
    }
    head.push_str("Connection: close\r\n\r\n");
    upstream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).unwrap();
    let _ = (&client).write_all(&answer);
}

/// The wp fixture config with `settings` lines added.
fn config(server: &FixtureServer, dir: &Path, settings: &str) -> std::path::PathBuf {
    let cfg = server.copy_config(dir, "wp");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replacen("[settings]\n", &format!("[settings]\n{settings}\n"), 1),
    )
    .unwrap();
    cfg
}

/// A successful `refresh` with `NO_PROXY` set to `no_proxy`, or unset.
fn refresh_with_no_proxy(cfg: &Path, no_proxy: Option<&str>) {
    let mut cmd = pressfeed();
    cmd.env_remove("NO_PROXY").env_remove("no_proxy");
    if let Some(v) = no_proxy {
        cmd.env("NO_PROXY", v);
    }
    let out = cmd
        .arg("--config")
        .arg(cfg)
        .arg("refresh")
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
}

#[test]
fn a_configured_proxy_sees_every_request_and_no_proxy_bypasses_it() {
    let server = FixtureServer::start(fixture_dir("wp"));
    let proxy = RecordingProxy::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        &server,
        dir.path(),
        &format!("proxy = \"http://{}\"", proxy.addr),
    );

    refresh_with_no_proxy(&cfg, None);
    let seen = proxy.seen();
    // Two requests may be in flight at once, so the two logs agree on the set, not the order.
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let site: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("GET {} HTTP/1.1", server.url(&r.path_and_query)))
        .collect();
    assert!(
        seen.contains(&format!(
            "GET {}/category/genprokuratura/ HTTP/1.1",
            server.base
        )),
        "{seen:?}"
    );
    assert_eq!(
        sorted(seen.clone()),
        sorted(site),
        "every request went through the proxy"
    );

    // NO_PROXY names the fixture's address: the same refresh goes straight to the site.
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        &server,
        dir.path(),
        &format!("proxy = \"http://{}\"", proxy.addr),
    );
    server.clear_requests();
    refresh_with_no_proxy(&cfg, Some("127.0.0.1"));
    assert!(!server.requests().is_empty());
    assert_eq!(proxy.seen().len(), seen.len(), "the proxy saw nothing more");
}

/// A test CA and an HTTPS site on 127.0.0.1 whose certificate it signed; the site answers
/// every request with a small HTML page. Returns the site's URL and the CA as PEM.
async fn https_site() -> (Url, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;

    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "pressfeed test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
    let tls = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca_cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body =
                    "<html><head><title>Trusted</title></head><body><p>Hello</p></body></html>";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (
        Url::parse(&format!("https://{addr}/news/")).unwrap(),
        ca_cert.pem(),
    )
}

fn fetcher(dir: &Path, settings: &str) -> Fetcher {
    let text = format!(
        "[settings]\nrespect_robots = false\nmin_delay_ms = 0\nretries = 0\n{settings}\n\
         [[source]]\nid = \"a\"\ntitle = \"A\"\nlisting_urls = [\"https://example.kz/\"]\n"
    );
    let config = Config::parse(&text, &dir.join("config.toml")).unwrap();
    Fetcher::new(&config.settings).unwrap()
}

#[tokio::test]
async fn a_site_signed_by_a_private_ca_is_trusted_only_with_ca_file() {
    let (url, ca_pem) = https_site().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("corporate-ca.pem"), &ca_pem).unwrap();

    let err = fetcher(dir.path(), "")
        .get_html(&url, None)
        .await
        .expect_err("an unknown CA must not be trusted");
    assert_eq!(err.kind(), "tls", "{err}");

    let page = fetcher(dir.path(), "ca_file = \"corporate-ca.pem\"")
        .get_html(&url, None)
        .await
        .unwrap_or_else(|e| panic!("trusted through ca_file: {e}"));
    let pressfeed::http::Outcome::Fetched(page) = page else {
        panic!("a first GET cannot be 304");
    };
    assert!(page.text.contains("Trusted"));
}
