//! Helpers for the registry login tests: a throwaway PKI, the real
//! Distribution registry (`docker-registry`) started on 127.0.0.1, an
//! in-process HTTPS token service and stand-in registries, a tiny OCI
//! image, and a watcher of every process's command line.

#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData as _,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest as _, Sha256};

/// The binary of Debian's `docker-registry` package (Distribution 2.8).
pub const REGISTRY_BINARY: &str = "docker-registry";

/// Returns whether `program` is on PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Returns `true` when the real-registry tests can run. Without
/// `docker-registry` they skip with a message, except under CI (`CI` set),
/// where the missing binary fails the test. With the registry present,
/// missing `htpasswd` or `skopeo` always fails, because then the setup is
/// half done. `scripts/setup.d/20-registry-packages.sh` installs all three.
pub fn real_registry_available(test: &str) -> bool {
    if !on_path(REGISTRY_BINARY) {
        if std::env::var_os("CI").is_some() {
            panic!(
                "{test}: {REGISTRY_BINARY} not found on PATH, and CI is set; run scripts/setup.d/20-registry-packages.sh"
            );
        }
        // Written to the process's stderr directly: the test harness
        // captures `eprintln!` of passing tests, and a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: {REGISTRY_BINARY} not found on PATH; install it with scripts/setup.d/20-registry-packages.sh"
        );
        return false;
    }
    for program in ["htpasswd", "skopeo"] {
        assert!(
            on_path(program),
            "{test}: {program} not found on PATH although {REGISTRY_BINARY} is; run scripts/setup.d/20-registry-packages.sh"
        );
    }
    true
}

/// A throwaway CA, a server certificate for `localhost` and `127.0.0.1`,
/// and a separate token-signing key with its self-signed certificate.
pub struct Pki {
    pub ca_pem: String,
    pub ca_file: PathBuf,
    /// A directory with `ca.crt`, the layout skopeo's `--*-cert-dir` expects.
    pub cert_dir: PathBuf,
    pub server_cert_file: PathBuf,
    pub server_key_file: PathBuf,
    pub server_config: Arc<ServerConfig>,
    /// The certificate bundle the registry trusts for token signatures.
    pub signing_cert_file: PathBuf,
    pub signing_key_der: Vec<u8>,
    /// The libtrust key ID of the signing key, the `kid` Distribution 2.8 looks up.
    pub signing_kid: String,
}

impl Pki {
    pub fn generate(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).expect("PKI dir");
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::default();
        ca_params.distinguished_name = name("qualys-ci-auth registry test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().expect("server key");
        let mut server_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("server params");
        server_params.distinguished_name = name("localhost");
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server_params.use_authority_key_identifier_extension = true;
        let server_cert = server_params
            .signed_by(&server_key, &issuer)
            .expect("server cert");

        // Distribution verifies token signatures with the public keys of the
        // certificates in its `rootcertbundle`; a self-signed one suffices.
        let signing_key = KeyPair::generate().expect("signing key");
        let mut signing_params = CertificateParams::default();
        signing_params.distinguished_name = name("qualys-ci-auth test token issuer");
        let signing_cert = signing_params
            .self_signed(&signing_key)
            .expect("signing cert");

        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, ca_cert.pem()).expect("write CA");
        let cert_dir = dir.join("certs.d");
        std::fs::create_dir_all(&cert_dir).expect("cert dir");
        std::fs::write(cert_dir.join("ca.crt"), ca_cert.pem()).expect("write ca.crt");
        let server_cert_file = dir.join("server.crt");
        // Go's TLS server sends the whole file as the chain.
        std::fs::write(&server_cert_file, server_cert.pem()).expect("write server cert");
        let server_key_file = dir.join("server.key");
        std::fs::write(&server_key_file, server_key.serialize_pem()).expect("write key");
        let signing_cert_file = dir.join("token-signing.crt");
        std::fs::write(&signing_cert_file, signing_cert.pem()).expect("write signing cert");

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let server_config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(server_cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
            )
            .expect("server TLS config");

        Self {
            ca_pem: ca_cert.pem(),
            ca_file,
            cert_dir,
            server_cert_file,
            server_key_file,
            server_config: Arc::new(server_config),
            signing_cert_file,
            signing_key_der: signing_key.serialize_der(),
            signing_kid: libtrust_key_id(&signing_key.subject_public_key_info()),
        }
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

/// The key ID format of docker/libtrust, which Distribution 2.8 uses to look
/// up a token's `kid`: the SHA-256 of the DER SubjectPublicKeyInfo, cut to
/// 240 bits, base32 without padding, in colon-separated groups of four.
pub fn libtrust_key_id(spki_der: &[u8]) -> String {
    let digest = Sha256::digest(spki_der);
    let encoded = data_encoding::BASE32_NOPAD.encode(&digest[..30]);
    encoded
        .as_bytes()
        .chunks(4)
        .map(|chunk| std::str::from_utf8(chunk).expect("base32 is ASCII"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Returns a port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .expect("local address")
        .port()
}

/// How the real registry authenticates.
pub enum RegistryAuth<'a> {
    /// htpasswd file with bcrypt hashes, written with `htpasswd -iB`.
    Htpasswd(&'a [(&'a str, &'a str)]),
    /// The token flow: tokens from `realm`, signed by the PKI's signing key.
    Token {
        realm: &'a str,
        service: &'a str,
        issuer: &'a str,
    },
}

/// A `docker-registry serve` process on 127.0.0.1 with TLS; stopped on drop.
pub struct RealRegistry {
    child: Child,
    pub port: u16,
    pub log_file: PathBuf,
}

impl RealRegistry {
    pub fn start(pki: &Pki, dir: &Path, auth: RegistryAuth<'_>) -> Self {
        std::fs::create_dir_all(dir).expect("registry dir");
        let auth_section = match auth {
            RegistryAuth::Htpasswd(users) => {
                let htpasswd = dir.join("htpasswd");
                for (index, (user, password)) in users.iter().enumerate() {
                    write_htpasswd(&htpasswd, user, password, index == 0);
                }
                format!(
                    "  htpasswd:\n    realm: qualys-ci-auth-test\n    path: {}\n",
                    htpasswd.display()
                )
            }
            RegistryAuth::Token {
                realm,
                service,
                issuer,
            } => format!(
                "  token:\n    realm: \"{realm}\"\n    service: \"{service}\"\n    issuer: \"{issuer}\"\n    rootcertbundle: {}\n",
                pki.signing_cert_file.display()
            ),
        };

        let mut last_log = String::new();
        for _ in 0..3 {
            let port = free_port();
            let config = dir.join("config.yml");
            let yaml = format!(
                "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: qualys-ci-auth-test-upload-secret\n  tls:\n    certificate: {}\n    key: {}\nauth:\n{auth_section}",
                dir.join("data").display(),
                pki.server_cert_file.display(),
                pki.server_key_file.display(),
            );
            std::fs::write(&config, yaml).expect("write registry config");
            let log_file = dir.join(format!("registry-{port}.log"));
            let log = std::fs::File::create(&log_file).expect("registry log");
            let child = Command::new(REGISTRY_BINARY)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log handle"))
                .stderr(log)
                .spawn()
                .expect("start docker-registry");
            let mut registry = Self {
                child,
                port,
                log_file,
            };
            if registry.wait_ready() {
                return registry;
            }
            last_log = registry.log();
        }
        panic!("docker-registry did not start; last log:\n{last_log}");
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// `127.0.0.1:PORT`, the registry's name in references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap_or_default()
    }

    /// Counts access-log lines for requests whose request line contains `needle`.
    pub fn count_requests(&self, needle: &str) -> usize {
        self.log()
            .lines()
            .filter(|line| line.contains("\"GET ") || line.contains("\"HEAD "))
            .filter(|line| line.contains(needle))
            .count()
    }
}

impl Drop for RealRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Adds a bcrypt entry with `htpasswd -iB`, which reads the password from
/// standard input so that it never appears in a command line.
fn write_htpasswd(file: &Path, user: &str, password: &str, create: bool) {
    let mut command = Command::new("htpasswd");
    command.arg(if create { "-icB" } else { "-iB" });
    command
        .arg(file)
        .arg(user)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start htpasswd");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(password.as_bytes())
        .expect("write password to htpasswd");
    let output = child.wait_with_output().expect("htpasswd finishes");
    assert!(
        output.status.success(),
        "htpasswd failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One request as the in-process servers see it.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    pub port: u16,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// The Basic user name, when Basic credentials were sent.
    pub basic_user: Option<String>,
    pub bearer: bool,
}

/// The authentication a stand-in registry requires on `GET /v2/`.
#[derive(Clone, Debug)]
pub enum FakeMode {
    /// Basic authentication against the server's users.
    Basic,
    /// A Bearer challenge naming this realm; any bearer token is accepted.
    Bearer { realm: String },
}

struct ServerState {
    users: HashMap<String, String>,
    signing_key_der: Vec<u8>,
    signing_kid: String,
    issuer: String,
    service: String,
    modes: Mutex<HashMap<u16, FakeMode>>,
    seen: Mutex<Vec<SeenRequest>>,
}

/// In-process HTTPS servers on 127.0.0.1: a token service (`GET /token`)
/// for the real registry's token flow, and stand-in registries that serve
/// only `GET /v2/`. They run on their own Tokio runtime, stopped on drop.
pub struct TestServers {
    runtime: tokio::runtime::Runtime,
    state: Arc<ServerState>,
    tls: Arc<ServerConfig>,
    pub token_port: u16,
}

pub const TOKEN_ISSUER: &str = "qualys-ci-auth-test-issuer";
pub const TOKEN_SERVICE: &str = "qualys-ci-auth-test-registry";

impl TestServers {
    pub fn start(pki: &Pki, users: &[(&str, &str)]) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test server runtime");
        let state = Arc::new(ServerState {
            users: users
                .iter()
                .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
                .collect(),
            signing_key_der: pki.signing_key_der.clone(),
            signing_kid: pki.signing_kid.clone(),
            issuer: TOKEN_ISSUER.to_owned(),
            service: TOKEN_SERVICE.to_owned(),
            modes: Mutex::new(HashMap::new()),
            seen: Mutex::new(Vec::new()),
        });
        let mut servers = Self {
            runtime,
            state,
            tls: pki.server_config.clone(),
            token_port: 0,
        };
        servers.token_port = servers.listen();
        servers
    }

    /// The token service URL for the registry's `realm`.
    pub fn realm(&self) -> String {
        format!("https://127.0.0.1:{}/token", self.token_port)
    }

    /// Starts a stand-in registry on a new port and returns `127.0.0.1:PORT`.
    pub fn fake_registry(&self, mode: FakeMode) -> String {
        let port = self.listen();
        self.state.modes.lock().expect("modes").insert(port, mode);
        format!("127.0.0.1:{port}")
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.state.seen.lock().expect("seen").clone()
    }

    fn listen(&self) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind test server");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let acceptor = tokio_rustls::TlsAcceptor::from(self.tls.clone());
        let state = self.state.clone();
        self.runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let state = state.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |request| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(handle(&state, port, request)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        port
    }
}

fn handle(state: &ServerState, port: u16, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let query: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let authorization = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let basic = authorization
        .strip_prefix("Basic ")
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(u, p)| (u.to_owned(), p.to_owned()))
        });
    state.seen.lock().expect("seen").push(SeenRequest {
        port,
        path: path.clone(),
        query: query.clone(),
        basic_user: basic.as_ref().map(|(u, _)| u.clone()),
        bearer: authorization.starts_with("Bearer "),
    });
    let valid_user = basic
        .as_ref()
        .filter(|(user, password)| state.users.get(user) == Some(password))
        .map(|(user, _)| user.clone());

    let mode = state.modes.lock().expect("modes").get(&port).cloned();
    match (mode, path.as_str()) {
        (None, "/token") => token(state, &query, basic.is_some(), valid_user),
        (Some(FakeMode::Basic), "/v2/") => {
            if valid_user.is_some() {
                reply(StatusCode::OK, &[], "{}")
            } else {
                reply(
                    StatusCode::UNAUTHORIZED,
                    &[("WWW-Authenticate", "Basic realm=\"stand-in\"".to_owned())],
                    r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
                )
            }
        }
        (Some(FakeMode::Bearer { realm }), "/v2/") => {
            if authorization.starts_with("Bearer ") {
                reply(StatusCode::OK, &[], "{}")
            } else {
                reply(
                    StatusCode::UNAUTHORIZED,
                    &[(
                        "WWW-Authenticate",
                        format!("Bearer realm=\"{realm}\",service=\"stand-in\""),
                    )],
                    r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
                )
            }
        }
        _ => reply(StatusCode::NOT_FOUND, &[], "not found"),
    }
}

fn reply(status: StatusCode, headers: &[(&str, String)], body: &str) -> Response<Full<Bytes>> {
    let mut builder = Response::builder()
        .status(status)
        .header("Content-Type", "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    builder
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("valid response")
}

/// Issues a token as the Docker Registry token authentication
/// specification describes: wrong credentials get 401; a valid user gets
/// every requested action; an anonymous caller gets `pull` on `public/*`
/// repositories only, and an empty grant otherwise.
fn token(
    state: &ServerState,
    query: &[(String, String)],
    sent_credentials: bool,
    valid_user: Option<String>,
) -> Response<Full<Bytes>> {
    if sent_credentials && valid_user.is_none() {
        return reply(
            StatusCode::UNAUTHORIZED,
            &[],
            r#"{"details":"invalid user name or password"}"#,
        );
    }
    let service = query
        .iter()
        .find(|(k, _)| k == "service")
        .map(|(_, v)| v.as_str());
    if service != Some(state.service.as_str()) {
        return reply(
            StatusCode::BAD_REQUEST,
            &[],
            r#"{"details":"unknown service"}"#,
        );
    }

    let mut access = Vec::new();
    for (_, scope) in query.iter().filter(|(k, _)| k == "scope") {
        for item in scope.split(' ') {
            let mut parts = item.splitn(3, ':');
            let (Some(kind), Some(name), Some(actions)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let granted: Vec<&str> = actions
                .split(',')
                .filter(|action| {
                    valid_user.is_some() || (*action == "pull" && name.starts_with("public/"))
                })
                .collect();
            access.push(serde_json::json!({"type": kind, "name": name, "actions": granted}));
        }
    }

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    // Distribution 2.8 reads `aud` as a single string, not an array.
    let claims = serde_json::json!({
        "iss": state.issuer,
        "sub": valid_user.clone().unwrap_or_default(),
        "aud": state.service,
        "exp": now + 300,
        "nbf": now - 10,
        "iat": now,
        "jti": format!("{:032x}", rand::random::<u128>()),
        "access": access,
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(state.signing_kid.clone());
    let key = jsonwebtoken::EncodingKey::from_ec_der(&state.signing_key_der);
    let jwt = jsonwebtoken::encode(&header, &claims, &key).expect("sign token");
    let body = serde_json::json!({
        "token": jwt,
        "access_token": jwt,
        "expires_in": 300,
        "issued_at": qualys_ci_auth::time_fmt::rfc3339(now as i64),
    });
    reply(StatusCode::OK, &[], &body.to_string())
}

/// A tiny single-layer image written as an OCI image layout, with the
/// digests a registry round trip must preserve.
pub struct TestImage {
    pub layout: PathBuf,
    pub config_digest: String,
    pub config_bytes: Vec<u8>,
    pub layer_bytes: Vec<u8>,
}

/// Writes an OCI image layout with one layer (a tar holding `hello.txt`)
/// under `dir`, tagged `latest`. The layer tar comes from the system `tar`.
pub fn write_oci_image(dir: &Path) -> TestImage {
    let content = dir.join("content");
    std::fs::create_dir_all(&content).expect("content dir");
    std::fs::write(content.join("hello.txt"), "hello from qualys-ci-auth\n").expect("file");
    let layer_file = dir.join("layer.tar");
    let status = Command::new("tar")
        .args([
            "--sort=name",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "--mtime=@0",
            "-cf",
        ])
        .arg(&layer_file)
        .arg("-C")
        .arg(&content)
        .arg("hello.txt")
        .status()
        .expect("run tar");
    assert!(status.success(), "tar failed");
    let layer_bytes = std::fs::read(&layer_file).expect("read layer");

    let layout = dir.join("oci");
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("blobs dir");
    let put = |bytes: &[u8]| -> String {
        let hex = hex::encode(Sha256::digest(bytes));
        std::fs::write(blobs.join(&hex), bytes).expect("write blob");
        format!("sha256:{hex}")
    };

    let layer_digest = put(&layer_bytes);
    let config_bytes = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/hello.txt"]},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    }))
    .expect("config JSON");
    let config_digest = put(&config_bytes);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config_bytes.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": layer_digest,
            "size": layer_bytes.len(),
        }],
    }))
    .expect("manifest JSON");
    let manifest_digest = put(&manifest);
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": manifest.len(),
                "annotations": {"org.opencontainers.image.ref.name": "latest"},
            }],
        }))
        .expect("index JSON"),
    )
    .expect("write index");
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("write oci-layout");

    TestImage {
        layout,
        config_digest,
        config_bytes,
        layer_bytes,
    }
}

/// What an [`ArgvWatch`] saw.
#[derive(Debug, Default)]
pub struct WatchReport {
    /// Command lines that contained a needle, with their process ID.
    pub hits: Vec<String>,
    /// Distinct command lines that contained a marker: proof that the
    /// processes of interest were running while the watch scanned.
    pub observed: BTreeSet<String>,
    pub scans: usize,
}

/// Watches the command line (`/proc/*/cmdline`) of every process on the
/// machine, the CLI under test and its children included, for any of
/// `needles` until stopped.
pub struct ArgvWatch {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<WatchReport>>,
}

impl ArgvWatch {
    pub fn start(needles: Vec<String>, markers: Vec<String>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut report = WatchReport::default();
            while !flag.load(Ordering::Relaxed) {
                report.scans += 1;
                for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                    let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                        continue;
                    };
                    let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                    if needles.iter().any(|needle| text.contains(needle.as_str())) {
                        report
                            .hits
                            .push(format!("{}: {text}", entry.file_name().to_string_lossy()));
                    }
                    if markers.iter().any(|marker| text.contains(marker.as_str())) {
                        report.observed.insert(text.trim_end().to_owned());
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            report
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops watching and returns what was seen.
    pub fn finish(mut self) -> WatchReport {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .expect("finish is called once")
            .join()
            .expect("watch thread")
    }
}
