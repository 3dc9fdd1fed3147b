//! The process-wide TLS crypto provider.
//!
//! kube and reqwest both use rustls. Wheelhouse builds reqwest without a provider of its own
//! (`rustls-no-provider`) and kube with `ring`, so exactly one provider, ring, is linked. rustls
//! needs it installed as the process default before the first client is built.

/// Installs rustls' ring provider as the process default.
///
/// Idempotent: a second call (or a provider installed earlier by someone else) is not an
/// error, because the only provider linked into this binary is ring.
pub fn install_crypto_provider() {
    // `Err` means a default is already installed; with a single provider linked it is ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
