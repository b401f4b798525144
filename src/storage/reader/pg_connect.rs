//! How the pipelined reads connect: from the same `DATABASE_URL` as the pool, parsed by
//! sqlx so that its defaults, the `PG*` variables and `.pgpass` apply alike, with the
//! same startup options and the same TLS modes as sqlx's:
//!
//! - `disable`: no TLS.
//! - `allow`, `prefer` (the default): TLS when the server offers it, else none. (`allow`
//!   tries TLS first here; sqlx tries without.)
//! - `require`: TLS or no connection.
//! - With `prefer` and `require` the server's certificate is not checked, as libpq and
//!   sqlx do; its handshake signature is. `verify-ca` checks the chain, `verify-full`
//!   the chain and the host name, against the bundled web roots plus `sslrootcert`.
//! - `sslcert` and `sslkey` (or `PGSSLCERT`, `PGSSLKEY`) present a client certificate.

use std::str::FromStr;
use std::sync::Arc;

use anyhow::Context;
use percent_encoding::percent_decode_str;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgSslMode};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connection settings and TLS connector for `url`, with `startup_options` (`-c`
/// settings) as the pool's connections have them.
pub(super) fn client_config(
    url: &str,
    startup_options: &[(&str, &str)],
) -> anyhow::Result<(tokio_postgres::Config, MakeRustlsConnect)> {
    let options = PgConnectOptions::from_str(url)
        .context("DATABASE_URL is not a PostgreSQL URL")?
        .options(startup_options.iter().copied());
    let mut config = tokio_postgres::Config::new();
    match options.get_socket() {
        Some(directory) => config.host_path(directory),
        None => config.host(options.get_host()),
    };
    config.port(options.get_port()).user(options.get_username());
    // sqlx has no getter for the password it found (in the URL, `PGPASSWORD` or
    // `.pgpass`); its URL form carries it, percent-encoded.
    if let Some(password) = options.to_url_lossy().password() {
        let password = percent_decode_str(password)
            .decode_utf8()
            .context("DATABASE_URL: the password is not UTF-8")?;
        config.password(password.as_bytes());
    }
    if let Some(database) = options.get_database() {
        config.dbname(database);
    }
    if let Some(name) = options.get_application_name() {
        config.application_name(name);
    }
    if let Some(startup) = options.get_options() {
        config.options(startup);
    }
    let mode = options.get_ssl_mode();
    config.ssl_mode(match mode {
        PgSslMode::Disable => SslMode::Disable,
        PgSslMode::Allow | PgSslMode::Prefer => SslMode::Prefer,
        PgSslMode::Require | PgSslMode::VerifyCa | PgSslMode::VerifyFull => SslMode::Require,
    });
    let certificates = CertificateSettings::of(url)?;
    let tls = tls_config(mode, &certificates).context("DATABASE_URL: the TLS settings")?;
    Ok((config, MakeRustlsConnect::new(tls)))
}

/// The certificate settings, which sqlx keeps but does not give back: the URL's, else
/// the environment's.
struct CertificateSettings {
    root_cert: Option<String>,
    client_cert: Option<String>,
    client_key: Option<String>,
}

impl CertificateSettings {
    fn of(url: &str) -> anyhow::Result<Self> {
        let url = url::Url::parse(url).context("DATABASE_URL is not a URL")?;
        let find = |names: &[&str], variable: &str| {
            url.query_pairs()
                .filter(|(key, _)| names.contains(&key.as_ref()))
                .map(|(_, value)| value.into_owned())
                .last()
                .or_else(|| std::env::var(variable).ok())
        };
        Ok(Self {
            root_cert: find(&["sslrootcert", "ssl-root-cert", "ssl-ca"], "PGSSLROOTCERT"),
            client_cert: find(&["sslcert", "ssl-cert"], "PGSSLCERT"),
            client_key: find(&["sslkey", "ssl-key"], "PGSSLKEY"),
        })
    }
}

fn tls_config(mode: PgSslMode, certificates: &CertificateSettings) -> anyhow::Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        PgSslMode::VerifyCa | PgSslMode::VerifyFull => {
            let mut roots =
                RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            if let Some(root_cert) = &certificates.root_cert {
                for cert in CertificateDer::pem_slice_iter(&pem_input(root_cert)?) {
                    roots
                        .add(cert.context("sslrootcert: not a PEM certificate")?)
                        .context("sslrootcert: not a usable root certificate")?;
                }
            }
            let chain =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                    .build()?;
            if matches!(mode, PgSslMode::VerifyFull) {
                chain
            } else {
                Arc::new(AnyName(chain))
            }
        }
        _ => Arc::new(AnyCertificate(provider.signature_verification_algorithms)),
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    Ok(
        match (&certificates.client_cert, &certificates.client_key) {
            (Some(cert), Some(key)) => {
                let chain = CertificateDer::pem_slice_iter(&pem_input(cert)?)
                    .collect::<Result<Vec<_>, _>>()
                    .context("sslcert: not PEM certificates")?;
                let key = PrivateKeyDer::from_pem_slice(&pem_input(key)?)
                    .context("sslkey: not a PEM private key")?;
                builder.with_client_auth_cert(chain, key)?
            }
            (None, None) => builder.with_no_client_auth(),
            _ => anyhow::bail!("sslcert and sslkey go together: one is set without the other"),
        },
    )
}

/// A PEM text given inline, or the contents of the file it names (sqlx's rule).
fn pem_input(value: &str) -> anyhow::Result<Vec<u8>> {
    let trimmed = value.trim();
    if trimmed.starts_with("-----BEGIN") && trimmed.ends_with("-----") {
        Ok(value.as_bytes().to_vec())
    } else {
        std::fs::read(value).with_context(|| format!("cannot read {value}"))
    }
}

/// `prefer` and `require`: encryption without authentication of the server, as libpq
/// defines them; the handshake's signatures are still checked.
#[derive(Debug)]
struct AnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the name in it is not compared
/// with the host's. The chain is checked before the name, so a name mismatch means the
/// chain was good.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
