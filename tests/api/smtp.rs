//! An SMTP server on loopback for the tests: the `mailin` SMTP state machine behind a tokio
//! listener that speaks plain SMTP, STARTTLS or implicit TLS (rustls, with a CA and server
//! certificate made by rcgen). It records each envelope and the raw message.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

// ---- the SMTP server ---------------------------------------------------------------------

/// How the server answers.
#[derive(Clone, Copy)]
pub enum Behaviour {
    Accept,
    /// This reply to `RCPT TO`.
    RejectRecipient(u16),
    /// This reply after the message data.
    RejectData(u16),
    /// `421` to `MAIL FROM`, then hang up.
    ShutDown,
}

#[derive(Clone)]
pub enum Security {
    Plain,
    StartTls(Arc<ServerConfig>),
    Implicit(Arc<ServerConfig>),
}

#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
    pub login: Option<(String, String)>,
}

pub struct SmtpServer {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub connections: Arc<AtomicUsize>,
    pub task: JoinHandle<()>,
    /// Holds greetings back until the test lets them go (servers made with [`Self::stalling`]).
    pub stall: Option<Arc<Stall>>,
}

/// A relay that has stopped greeting: each new connection waits before the greeting until
/// the test releases it (to be greeted, or refused with a code), or opens the gate for good.
/// Such a relay takes one message per connection, so that every message meets the gate.
pub struct Stall {
    arrived: tokio::sync::watch::Sender<usize>,
    gate: tokio::sync::Semaphore,
    refusals: Mutex<std::collections::VecDeque<u16>>,
}

impl Stall {
    fn new() -> Self {
        Stall {
            arrived: tokio::sync::watch::channel(0).0,
            gate: tokio::sync::Semaphore::new(0),
            refusals: Mutex::default(),
        }
    }

    /// Waits until `n` connections in all have reached the gate.
    pub async fn arrivals(&self, n: usize) {
        let mut seen = self.arrived.subscribe();
        tokio::time::timeout(
            std::time::Duration::from_secs(60),
            seen.wait_for(|a| *a >= n),
        )
        .await
        .unwrap_or_else(|_| panic!("no connection number {n} reached the stalled relay"))
        .unwrap();
    }

    /// How many connections have reached the gate.
    pub fn arrived(&self) -> usize {
        *self.arrived.borrow()
    }

    /// Greets the longest-waiting connection.
    pub fn release(&self) {
        self.gate.add_permits(1);
    }

    /// Answers the longest-waiting connection with `code` instead of a greeting, and hangs up.
    pub fn refuse(&self, code: u16) {
        self.refusals.lock().unwrap().push_back(code);
        self.gate.add_permits(1);
    }

    /// Greets every connection, waiting or to come.
    pub fn open(&self) {
        self.gate.close();
    }

    /// Holds a new connection at the gate; `Some(code)` if it is to be refused.
    async fn pass(&self) -> Option<u16> {
        self.arrived.send_modify(|a| *a += 1);
        match self.gate.acquire().await {
            Ok(permit) => {
                permit.forget();
                self.refusals.lock().unwrap().pop_front()
            }
            // Closed: the gate is open for good.
            Err(_) => None,
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    pub async fn start(security: Security, behaviour: Behaviour, with_auth: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, security, behaviour, with_auth)
    }

    /// A plain relay that accepts mail but greets no one until its [`Stall`] says so.
    pub async fn stalling() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve_with(
            listener,
            Security::Plain,
            Behaviour::Accept,
            false,
            Some(Arc::new(Stall::new())),
        )
    }

    pub fn serve(
        listener: TcpListener,
        security: Security,
        behaviour: Behaviour,
        with_auth: bool,
    ) -> Self {
        Self::serve_with(listener, security, behaviour, with_auth, None)
    }

    fn serve_with(
        listener: TcpListener,
        security: Security,
        behaviour: Behaviour,
        with_auth: bool,
        stall: Option<Arc<Stall>>,
    ) -> Self {
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let mut builder = SessionBuilder::new("smtp.nghedan.test");
        if matches!(security, Security::StartTls(_)) {
            builder.enable_start_tls();
        }
        if with_auth {
            builder.enable_auth(mailin::AuthMechanism::Plain);
        }
        let sink = received.clone();
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = connections.clone();
        let gate = stall.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let handler = Recorder {
                    behaviour,
                    sink: sink.clone(),
                    current: None,
                    login: None,
                };
                let session = builder.build(peer.ip(), handler);
                let (security, gate) = (security.clone(), gate.clone());
                tokio::spawn(async move {
                    let mut stream = stream;
                    let Some(gate) = gate else {
                        return connection(stream, session, security, false).await;
                    };
                    if let Some(code) = gate.pass().await {
                        let refusal = format!("{code} smtp.nghedan.test service not available\r\n");
                        stream.write_all(refusal.as_bytes()).await?;
                        return stream.shutdown().await;
                    }
                    connection(stream, session, security, true).await
                });
            }
        });
        SmtpServer {
            addr,
            received,
            connections,
            task,
            stall,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// `one_message`: hang up after the first message is accepted.
pub async fn connection(
    stream: TcpStream,
    mut session: mailin::Session<Recorder>,
    security: Security,
    one_message: bool,
) -> std::io::Result<()> {
    let mut io: BufReader<Box<dyn Io>> = match &security {
        Security::Implicit(config) => {
            let tls = TlsAcceptor::from(config.clone()).accept(stream).await?;
            session.tls_active();
            BufReader::new(Box::new(tls))
        }
        _ => BufReader::new(Box::new(stream)),
    };
    io.get_mut()
        .write_all(&session.greeting().buffer()?)
        .await?;
    loop {
        let mut line = Vec::new();
        if io.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        // mailin stays in DATA after rejecting a message, though RFC 5321 ends the
        // transaction there; hang up rather than read the client's next command as mail text.
        if line == b".\r\n" && (response.is_error || one_message) {
            io.get_mut().write_all(&response.buffer()?).await?;
            return io.get_mut().shutdown().await;
        }
        match response.action {
            Action::NoReply => {}
            Action::Reply => io.get_mut().write_all(&response.buffer()?).await?,
            Action::Close => {
                io.get_mut().write_all(&response.buffer()?).await?;
                io.get_mut().shutdown().await?;
                return Ok(());
            }
            Action::UpgradeTls => {
                io.get_mut().write_all(&response.buffer()?).await?;
                let Security::StartTls(config) = &security else {
                    return Ok(());
                };
                let tls = TlsAcceptor::from(config.clone())
                    .accept(io.into_inner())
                    .await?;
                io = BufReader::new(Box::new(tls));
                session.tls_active();
            }
        }
    }
}

pub struct Recorder {
    behaviour: Behaviour,
    sink: Arc<Mutex<Vec<Received>>>,
    current: Option<Received>,
    pub login: Option<(String, String)>,
}

impl Handler for Recorder {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, _from: &str) -> Response {
        match self.behaviour {
            Behaviour::ShutDown => Response::custom(421, "Service shutting down".into()),
            _ => mailin::response::OK,
        }
    }

    fn rcpt(&mut self, _to: &str) -> Response {
        match self.behaviour {
            Behaviour::RejectRecipient(code) => {
                Response::custom(code, "Mailbox unavailable".into())
            }
            _ => mailin::response::OK,
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_owned(),
            to: to.to_vec(),
            data: Vec::new(),
            login: self.login.clone(),
        });
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(current) = &mut self.current {
            current.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Behaviour::RejectData(code) = self.behaviour {
            return Response::custom(code, "Try again later".into());
        }
        if let Some(current) = self.current.take() {
            self.sink.lock().unwrap().push(current);
        }
        mailin::response::OK
    }

    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> Response {
        self.login = Some((user.to_owned(), password.to_owned()));
        mailin::response::AUTH_OK
    }
}

/// A CA and a server certificate for 127.0.0.1 signed by it.
pub struct TestPki {
    pub ca_pem: String,
    pub server: Arc<ServerConfig>,
}

pub fn test_pki() -> TestPki {
    nghedan::startup::install_crypto();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "nghedan test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();

    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let server = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    TestPki {
        ca_pem: ca.pem(),
        server: Arc::new(server),
    }
}
