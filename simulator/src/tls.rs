//! Throwaway certificate authority and the TLS server configuration.
//!
//! Every simulator generates a fresh CA and a leaf certificate for
//! `localhost` and `127.0.0.1` when it starts. A client under test must trust
//! that CA explicitly, so the simulator can never be mistaken for a real
//! gateway and no certificate outlives the process.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;

use crate::SimulatorError;

/// Names the leaf certificate is valid for. Clients connect by IP address,
/// but `localhost` is there for clients that prefer a host name.
const LEAF_SUBJECT_ALT_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// Certificates are backdated by an hour so that a client whose clock is
/// slightly behind does not reject them as not yet valid.
const CLOCK_SKEW_ALLOWANCE: time::Duration = time::Duration::hours(1);

/// Validity of both certificates, long enough for a demo that runs for days.
const VALIDITY: time::Duration = time::Duration::days(30);

/// The CA certificate to hand to clients and the configuration to serve with.
pub(crate) struct TlsMaterial {
    pub(crate) ca_pem: String,
    /// The leaf certificate and its PKCS#8 private key, in PEM, for
    /// `--tls-cert-out` and `--tls-key-out`.
    pub(crate) server_cert_pem: String,
    pub(crate) server_key_pem: String,
    pub(crate) server_config: Arc<ServerConfig>,
}

/// Generates a CA, a leaf certificate signed by it, and a rustls server
/// configuration that offers HTTP/2 and HTTP/1.1 through ALPN.
pub(crate) fn generate() -> Result<TlsMaterial, SimulatorError> {
    let not_before = OffsetDateTime::now_utc() - CLOCK_SKEW_ALLOWANCE;
    let not_after = not_before + VALIDITY;

    let ca_key = KeyPair::generate().map_err(SimulatorError::Certificate)?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = common_name("qualys-gateway-simulator throwaway CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .map_err(SimulatorError::Certificate)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().map_err(SimulatorError::Certificate)?;
    let subject_alt_names: Vec<String> = LEAF_SUBJECT_ALT_NAMES
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    let mut leaf_params =
        CertificateParams::new(subject_alt_names).map_err(SimulatorError::Certificate)?;
    leaf_params.distinguished_name = common_name("localhost");
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // RFC 5280 (section 4.2.1.1) requires the authority key identifier in
    // certificates issued by a CA, to help clients build the chain.
    leaf_params.use_authority_key_identifier_extension = true;
    leaf_params.not_before = not_before;
    leaf_params.not_after = not_after;
    let leaf_cert = leaf_params
        .signed_by(&leaf_key, &issuer)
        .map_err(SimulatorError::Certificate)?;

    let leaf_private_key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));

    // rustls 0.23 cannot pick a process-wide default provider when both
    // aws-lc-rs and ring are enabled in one binary, so it is passed here.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut server_config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(SimulatorError::Tls)?
        .with_no_client_auth()
        .with_single_cert(vec![leaf_cert.der().clone()], leaf_private_key)
        .map_err(SimulatorError::Tls)?;
    server_config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];

    Ok(TlsMaterial {
        ca_pem: ca_cert.pem(),
        server_cert_pem: leaf_cert.pem(),
        server_key_pem: leaf_key.serialize_pem(),
        server_config: Arc::new(server_config),
    })
}

fn common_name(name: &str) -> DistinguishedName {
    let mut distinguished_name = DistinguishedName::new();
    distinguished_name.push(DnType::CommonName, name);
    distinguished_name
}
