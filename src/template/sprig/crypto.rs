//! Cryptographic functions (Sprig `crypto.go`): `bcrypt`, `htpasswd`, `derivePassword`,
//! `genPrivateKey`, `buildCustomCert`, `genCA`, `genCAWithKey`, `genSelfSignedCert`,
//! `genSelfSignedCertWithKey`, `genSignedCert`, `genSignedCertWithKey`, `encryptAES`,
//! `decryptAES`.
//!
//! Keys are PEM-encoded as Go's Sprig writes them: RSA as PKCS#1 (`RSA PRIVATE KEY`),
//! ECDSA P-256 as SEC 1 (`EC PRIVATE KEY`), Ed25519 as PKCS#8 (`PRIVATE KEY`), DSA in
//! OpenSSL's `DSA PRIVATE KEY` layout. Certificates follow Sprig's template: a random
//! 128-bit serial, subject `CN=<cn>`, validity from now for `days × 24h`, key usages
//! KeyEncipherment and DigitalSignature (plus CertSign for CAs), extended key usages
//! ServerAuth and ClientAuth, basic constraints (CA or not), DNS and IP alternative names.
//! Certificates are built and signed with `rcgen` on `ring`; the result is an object of Go
//! type `sprig.certificate` with string fields `Cert` and `Key`.

use std::any::Any;
use std::borrow::Cow;
use std::net::IpAddr;

use hmac::Mac;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};

use super::encoding::{b64_decode, b64_encode};
use super::{INT, LIST, STR, arg_int, arg_str, pure};
use crate::template::error::FuncError;
use crate::template::funcs::{FuncMap, ParamType, Signature};
use crate::template::value::{Object, UintKind, Value};

/// Go type name of Sprig's certificate struct.
pub const CERTIFICATE_TYPE: &str = "sprig.certificate";

pub(crate) fn register(funcs: &mut FuncMap) {
    pure(funcs, "bcrypt", Signature::new([STR]), |a| {
        Ok(Value::from(bcrypt_hash(arg_str(&a, 0))))
    });
    pure(funcs, "htpasswd", Signature::new([STR, STR]), |a| {
        let user = arg_str(&a, 0);
        if user.contains(':') {
            return Ok(Value::from(format!("invalid username: {user}")));
        }
        Ok(Value::from(format!(
            "{user}:{}",
            bcrypt_hash(arg_str(&a, 1))
        )))
    });
    pure(
        funcs,
        "derivePassword",
        Signature::new([ParamType::Uint(UintKind::Uint32), STR, STR, STR, STR]),
        |a| {
            let counter = match a[0] {
                Value::Uint(n, _) => n as u32,
                _ => 0,
            };
            Ok(Value::from(derive_password(
                counter,
                arg_str(&a, 1),
                arg_str(&a, 2),
                arg_str(&a, 3),
                arg_str(&a, 4),
            )))
        },
    );
    pure(funcs, "genPrivateKey", Signature::new([STR]), |a| {
        Ok(Value::from(generate_private_key(arg_str(&a, 0))))
    });
    pure(funcs, "buildCustomCert", Signature::new([STR, STR]), |a| {
        build_custom_cert(arg_str(&a, 0), arg_str(&a, 1)).map(Value::object)
    });
    pure(funcs, "genCA", Signature::new([STR, INT]), |a| {
        let key = PrivKey::Rsa(rsa_key(2048)?);
        generate_ca(arg_str(&a, 0), arg_int(&a, 1), &key).map(Value::object)
    });
    pure(
        funcs,
        "genCAWithKey",
        Signature::new([STR, INT, STR]),
        |a| {
            let key = parse_key_arg(arg_str(&a, 2))?;
            generate_ca(arg_str(&a, 0), arg_int(&a, 1), &key).map(Value::object)
        },
    );
    pure(
        funcs,
        "genSelfSignedCert",
        Signature::new([STR, LIST, LIST, INT]),
        |a| {
            let key = PrivKey::Rsa(rsa_key(2048)?);
            let t = template(arg_str(&a, 0), &a[1], &a[2], arg_int(&a, 3))?;
            sign(&t, &key, None).map(Value::object)
        },
    );
    pure(
        funcs,
        "genSelfSignedCertWithKey",
        Signature::new([STR, LIST, LIST, INT, STR]),
        |a| {
            let key = parse_key_arg(arg_str(&a, 4))?;
            let t = template(arg_str(&a, 0), &a[1], &a[2], arg_int(&a, 3))?;
            sign(&t, &key, None).map(Value::object)
        },
    );
    let cert_param = || ParamType::Named(Cow::Borrowed(CERTIFICATE_TYPE));
    pure(
        funcs,
        "genSignedCert",
        Signature::new([STR, LIST, LIST, INT, cert_param()]),
        |a| {
            let key = PrivKey::Rsa(rsa_key(2048)?);
            signed_cert(&a, &key)
        },
    );
    pure(
        funcs,
        "genSignedCertWithKey",
        Signature::new([STR, LIST, LIST, INT, cert_param(), STR]),
        |a| {
            let key = parse_key_arg(arg_str(&a, 5))?;
            signed_cert(&a, &key)
        },
    );
    pure(funcs, "encryptAES", Signature::new([STR, STR]), |a| {
        encrypt_aes(arg_str(&a, 0), arg_str(&a, 1)).map(Value::from)
    });
    pure(funcs, "decryptAES", Signature::new([STR, STR]), |a| {
        decrypt_aes(arg_str(&a, 0), arg_str(&a, 1)).map(Value::from)
    });
}

fn err(msg: impl Into<String>) -> FuncError {
    FuncError::new(msg)
}

// ---- passwords ----------------------------------------------------------------------------

/// Sprig `bcrypt`: a `$2a$10$…` hash, or the failure text (passwords over 72 bytes).
pub fn bcrypt_hash(password: &str) -> String {
    if password.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .to_string();
    }
    match bcrypt::hash_with_result(password, 10) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

const MASTER_PASSWORD_SEED: &str = "com.lyndir.masterpassword";

fn password_templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_chars(c: u8) -> &'static [u8] {
    match c {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// Sprig `derivePassword`: the Master Password algorithm (scrypt N=32768, r=8, p=2 over
/// the user name, then HMAC-SHA256 over the site and counter, mapped onto a template).
pub fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    let Some(templates) = password_templates(kind) else {
        return format!("cannot find password template {kind}");
    };
    let mut salt = MASTER_PASSWORD_SEED.as_bytes().to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let params = match scrypt::Params::new(15, 8, 2, 64) {
        Ok(p) => p,
        Err(e) => return format!("failed to derive password: {e}"),
    };
    if let Err(e) = scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key) {
        return format!("failed to derive password: {e}");
    }
    let mut msg = MASTER_PASSWORD_SEED.as_bytes().to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return "failed to derive password: invalid key".to_string();
    };
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let temp = templates[usize::from(seed[0]) % templates.len()].as_bytes();
    temp.iter()
        .enumerate()
        .map(|(i, c)| {
            let chars = template_chars(*c);
            chars[usize::from(seed[i + 1]) % chars.len()] as char
        })
        .collect()
}

// ---- keys ---------------------------------------------------------------------------------

/// A private key of a type Sprig handles.
pub enum PrivKey {
    /// RSA.
    Rsa(rsa::RsaPrivateKey),
    /// ECDSA on P-256.
    Ec(p256::SecretKey),
    /// Ed25519 (the 32-byte seed).
    Ed([u8; 32]),
    /// DSA (`dsa.PrivateKey`; Go cannot sign certificates with it).
    Dsa(dsa::SigningKey),
}

/// The functions that make a new 2048-bit RSA key on every call (the `…WithKey` forms take
/// the caller's key).
pub const KEY_GENERATING_FUNCTIONS: [&str; 3] = ["genCA", "genSelfSignedCert", "genSignedCert"];

/// How many times `source` (template text) names one of [`KEY_GENERATING_FUNCTIONS`] as a
/// whole identifier: an estimate of the keys rendering it will need, for
/// [`super::rsa_keygen::prefetch`]. Calls in branches not taken or in loops make it inexact;
/// it is only a hint.
pub fn key_generating_calls(source: &[u8]) -> usize {
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut count = 0;
    let mut at = 0;
    // A vectorised search: this scans every template of a chart before rendering.
    let finder = memchr::memmem::Finder::new(b"gen");
    while let Some(offset) = finder.find(&source[at..]) {
        let begin = at + offset;
        let end = source[begin..]
            .iter()
            .position(|&b| !is_ident(b))
            .map_or(source.len(), |n| begin + n);
        let whole = begin == 0 || !is_ident(source[begin - 1]);
        if whole
            && let Ok(word) = std::str::from_utf8(&source[begin..end])
            && KEY_GENERATING_FUNCTIONS.contains(&word)
        {
            count += 1;
        }
        at = end.max(begin + 1);
    }
    count
}

fn rsa_key(bits: usize) -> Result<rsa::RsaPrivateKey, FuncError> {
    super::rsa_keygen::generate(bits).map_err(|e| err(format!("error generating rsa key: {e}")))
}

/// PEM block with Go's layout (64-column base64 lines).
pub fn pem_encode(kind: &str, der: &[u8]) -> String {
    let b64 = b64_encode(der);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

/// The first PEM block in `text` (Go's `pem.Decode`): type and contents.
pub fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let type_end = after.find("-----")?;
        let kind = &after[..type_end];
        let body = &after[type_end + 5..];
        let end_marker = format!("-----END {kind}-----");
        if let Some(end) = body.find(&end_marker) {
            let b64: String = body[..end]
                .lines()
                .filter(|l| !l.contains(':'))
                .collect::<Vec<_>>()
                .join("")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if let Ok(der) = b64_decode(&b64) {
                return Some((kind.to_string(), der));
            }
        }
        rest = after;
    }
    None
}

/// DER INTEGER of a non-negative big-endian magnitude.
fn der_uint(out: &mut Vec<u8>, mag: &[u8]) {
    let mut m: &[u8] = mag;
    while m.len() > 1 && m[0] == 0 {
        m = &m[1..];
    }
    let mut content = Vec::with_capacity(m.len() + 1);
    if m.is_empty() || m[0] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(m);
    if content.is_empty() {
        content.push(0);
    }
    der_tlv(out, 0x02, &content);
}

fn der_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let n = content.len();
    if n < 128 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

/// Reads one DER TLV: (tag, content, rest).
fn der_read(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let content = b.get(hdr..hdr + len)?;
    Some((tag, content, &b[hdr + len..]))
}

/// Go's `x509.MarshalECPrivateKey` for P-256: SEC 1 `ECPrivateKey` with version 1, the
/// 32-byte scalar, the named-curve OID and the uncompressed public point.
fn ec_sec1_der(k: &p256::SecretKey) -> Vec<u8> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    const P256_OID: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    let mut seq = vec![0x02, 0x01, 0x01];
    der_tlv(&mut seq, 0x04, &k.to_bytes());
    der_tlv(&mut seq, 0xa0, &P256_OID);
    let point = k.public_key().to_encoded_point(false);
    let mut bits = vec![0u8];
    bits.extend_from_slice(point.as_bytes());
    let mut bit_string = Vec::new();
    der_tlv(&mut bit_string, 0x03, &bits);
    der_tlv(&mut seq, 0xa1, &bit_string);
    let mut out = Vec::new();
    der_tlv(&mut out, 0x30, &seq);
    out
}

const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

impl PrivKey {
    /// PKCS#8 DER (for signing with `ring`); `None` for DSA.
    fn pkcs8(&self) -> Option<Vec<u8>> {
        match self {
            PrivKey::Rsa(k) => k.to_pkcs8_der().ok().map(|d| d.as_bytes().to_vec()),
            PrivKey::Ec(k) => k.to_pkcs8_der().ok().map(|d| d.as_bytes().to_vec()),
            PrivKey::Ed(seed) => {
                let mut v = ED25519_PKCS8_PREFIX.to_vec();
                v.extend_from_slice(seed);
                Some(v)
            }
            PrivKey::Dsa(_) => None,
        }
    }

    /// Sprig's `pemBlockForKey`.
    pub fn to_pem(&self) -> String {
        match self {
            PrivKey::Rsa(k) => match k.to_pkcs1_der() {
                Ok(d) => pem_encode("RSA PRIVATE KEY", d.as_bytes()),
                Err(_) => String::new(),
            },
            PrivKey::Ec(k) => pem_encode("EC PRIVATE KEY", &ec_sec1_der(k)),
            PrivKey::Ed(_) => pem_encode("PRIVATE KEY", &self.pkcs8().unwrap_or_default()),
            PrivKey::Dsa(k) => {
                let vk = k.verifying_key();
                let c = vk.components();
                let mut seq = Vec::new();
                der_uint(&mut seq, &[0]);
                der_uint(&mut seq, &c.p().to_bytes_be());
                der_uint(&mut seq, &c.q().to_bytes_be());
                der_uint(&mut seq, &c.g().to_bytes_be());
                der_uint(&mut seq, &vk.y().to_bytes_be());
                der_uint(&mut seq, &k.x().to_bytes_be());
                let mut out = Vec::new();
                der_tlv(&mut out, 0x30, &seq);
                pem_encode("DSA PRIVATE KEY", &out)
            }
        }
    }
}

/// Sprig `generatePrivateKey`: `rsa` (4096 bits, also for `""`), `dsa` (L2048N256),
/// `ecdsa` (P-256) or `ed25519`; other types give `Unknown type T`.
pub fn generate_private_key(kind: &str) -> String {
    let key = match kind {
        "" | "rsa" => rsa_key(4096).map(PrivKey::Rsa),
        "dsa" => {
            let comps =
                dsa::Components::generate(&mut rand_core::OsRng, dsa::KeySize::DSA_2048_256);
            Ok(PrivKey::Dsa(dsa::SigningKey::generate(
                &mut rand_core::OsRng,
                comps,
            )))
        }
        "ecdsa" => Ok(PrivKey::Ec(p256::SecretKey::random(&mut rand_core::OsRng))),
        "ed25519" => {
            let mut seed = [0u8; 32];
            match super::random::fill(&mut seed) {
                Ok(()) => Ok(PrivKey::Ed(seed)),
                Err(e) => Err(e),
            }
        }
        _ => return format!("Unknown type {kind}"),
    };
    match key {
        Ok(k) => k.to_pem(),
        Err(e) => format!("failed to generate private key: {e}"),
    }
}

/// Sprig `parsePrivateKeyPEM`.
pub fn parse_private_key_pem(text: &str) -> Result<PrivKey, String> {
    let Some((kind, der)) = pem_decode(text) else {
        return Err("no PEM data in input".to_string());
    };
    if kind == "PRIVATE KEY" {
        return parse_pkcs8(&der).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
    }
    let Some(prefix) = kind.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {kind}"));
    };
    match prefix {
        "RSA" => rsa::RsaPrivateKey::from_pkcs1_der(&der)
            .map(PrivKey::Rsa)
            .map_err(|_| {
                "parsing RSA private key from PEM: x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)".to_string()
            }),
        "EC" => p256::SecretKey::from_sec1_der(&der)
            .map(PrivKey::Ec)
            .map_err(|_| {
                "parsing EC private key from PEM: x509: failed to parse EC private key: asn1: structure error".to_string()
            }),
        "DSA" => parse_dsa(&der)
            .ok_or_else(|| "parsing DSA private key from PEM: asn1: structure error".to_string()),
        _ => Err(format!("invalid private key type {kind}")),
    }
}

fn parse_pkcs8(der: &[u8]) -> Result<PrivKey, String> {
    if der.len() == 48 && der[..16] == ED25519_PKCS8_PREFIX {
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&der[16..]);
        return Ok(PrivKey::Ed(seed));
    }
    if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_der(der) {
        return Ok(PrivKey::Rsa(k));
    }
    if let Ok(k) = p256::SecretKey::from_pkcs8_der(der) {
        return Ok(PrivKey::Ec(k));
    }
    Err(
        "x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)"
            .to_string(),
    )
}

fn parse_dsa(der: &[u8]) -> Option<PrivKey> {
    let (tag, seq, _) = der_read(der)?;
    if tag != 0x30 {
        return None;
    }
    let mut ints = Vec::new();
    let mut rest = seq;
    while !rest.is_empty() {
        let (t, c, r) = der_read(rest)?;
        if t != 0x02 {
            return None;
        }
        ints.push(dsa::BigUint::from_bytes_be(c));
        rest = r;
    }
    if ints.len() != 6 {
        return None;
    }
    let comps =
        dsa::Components::from_components(ints[1].clone(), ints[2].clone(), ints[3].clone()).ok()?;
    let vk = dsa::VerifyingKey::from_components(comps, ints[4].clone()).ok()?;
    dsa::SigningKey::from_components(vk, ints[5].clone())
        .ok()
        .map(PrivKey::Dsa)
}

fn parse_key_arg(text: &str) -> Result<PrivKey, FuncError> {
    parse_private_key_pem(text).map_err(|e| err(format!("parsing private key: {e}")))
}

// ---- certificates -------------------------------------------------------------------------

/// Sprig's `certificate` struct: PEM certificate and PEM key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// PEM certificate.
    pub cert: String,
    /// PEM private key.
    pub key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> Cow<'_, str> {
        Cow::Borrowed(CERTIFICATE_TYPE)
    }
    fn is_pointer(&self) -> bool {
        false
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::from(self.cert.as_str())),
            "Key" => Some(Value::from(self.key.as_str())),
            _ => None,
        }
    }
    fn fields(&self) -> Vec<(String, Value)> {
        vec![
            ("Cert".to_string(), Value::from(self.cert.as_str())),
            ("Key".to_string(), Value::from(self.key.as_str())),
        ]
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"Cert": self.cert, "Key": self.key})
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Sprig's base certificate template.
struct Template {
    params: rcgen::CertificateParams,
}

fn template(cn: &str, ips: &Value, dns: &Value, days: i64) -> Result<Template, FuncError> {
    let mut params = rcgen::CertificateParams::default();
    let mut sans = Vec::new();
    for ip in list_items(ips) {
        let Value::String(s) = &ip else {
            return Err(err(format!(
                "error parsing ip: {} is not a string",
                super::sprint_v(&ip)
            )));
        };
        let addr: IpAddr = parse_go_ip(s).ok_or_else(|| err(format!("error parsing ip: {s}")))?;
        sans.push(rcgen::SanType::IpAddress(addr));
    }
    let mut dns_names = Vec::new();
    for d in list_items(dns) {
        let Value::String(s) = &d else {
            return Err(err(format!(
                "error processing alternate dns name: {} is not a string",
                super::sprint_v(&d)
            )));
        };
        let name = rcgen::string::Ia5String::try_from(s.to_string())
            .map_err(|e| err(format!("error processing alternate dns name: {e}")))?;
        dns_names.push(rcgen::SanType::DnsName(name));
    }
    // Go writes DNS names before IP addresses.
    dns_names.extend(sans);
    params.subject_alt_names = dns_names;
    let mut dn = rcgen::DistinguishedName::new();
    if !cn.is_empty() {
        // Go's asn1 marshals a name attribute as a PrintableString when its characters allow
        // (the same set rcgen accepts), else as a UTF8String.
        match rcgen::string::PrintableString::try_from(cn) {
            Ok(printable) => dn.push(
                rcgen::DnType::CommonName,
                rcgen::DnValue::PrintableString(printable),
            ),
            Err(_) => dn.push(rcgen::DnType::CommonName, cn),
        }
    }
    params.distinguished_name = dn;
    let mut serial = [0u8; 16];
    super::random::fill(&mut serial)?;
    let skip = serial.iter().take_while(|b| **b == 0).count().min(15);
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial[skip..]));
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now;
    let hours = days.saturating_mul(24);
    params.not_after = now.checked_add(time::Duration::hours(hours)).unwrap_or(now);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    Ok(Template { params })
}

fn list_items(v: &Value) -> Vec<Value> {
    match v {
        Value::List(l) => l.items.clone(),
        _ => Vec::new(),
    }
}

/// Go's `net.ParseIP` (IPv4 dotted quads without leading zeros, IPv6 without zones).
fn parse_go_ip(s: &str) -> Option<IpAddr> {
    if s.contains('%') {
        return None;
    }
    let ip: IpAddr = s.parse().ok()?;
    Some(ip)
}

fn key_pair(key: &PrivKey) -> Result<rcgen::KeyPair, FuncError> {
    let Some(der) = key.pkcs8() else {
        return Err(err(
            "error creating certificate: x509: certificate private key does not implement crypto.Signer",
        ));
    };
    rcgen::KeyPair::try_from(der).map_err(|e| err(format!("error creating certificate: {e}")))
}

/// Signs the template for `key`, self-signed or by `issuer` (CA PEM certificate, CA key).
fn sign(
    t: &Template,
    key: &PrivKey,
    issuer: Option<(&str, &PrivKey)>,
) -> Result<Certificate, FuncError> {
    let cert = match issuer {
        None => {
            let kp = key_pair(key)?;
            t.params
                .self_signed(&kp)
                .map_err(|e| err(format!("error creating certificate: {e}")))?
        }
        Some((ca_pem, ca_key)) => {
            let ca_kp = key_pair(ca_key)?;
            let subject = match key {
                PrivKey::Dsa(_) => {
                    return Err(err(
                        "error creating certificate: x509: unsupported public key type: *dsa.PublicKey",
                    ));
                }
                other => key_pair(other)?,
            };
            let issuer = rcgen::Issuer::from_ca_cert_pem(ca_pem, ca_kp).map_err(|e| {
                err(format!(
                    "error parsing certificate: decodedSignerCert.Bytes: {e}"
                ))
            })?;
            let mut params = t.params.clone();
            params.use_authority_key_identifier_extension = true;
            params
                .signed_by(&subject, &issuer)
                .map_err(|e| err(format!("error creating certificate: {e}")))?
        }
    };
    Ok(Certificate {
        cert: cert.pem().replace("\r\n", "\n"),
        key: key.to_pem(),
    })
}

fn generate_ca(cn: &str, days: i64, key: &PrivKey) -> Result<Certificate, FuncError> {
    let mut t = template(cn, &Value::Nil, &Value::Nil, days)?;
    t.params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    t.params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    sign(&t, key, None)
}

fn signed_cert(a: &[Value], key: &PrivKey) -> Result<Value, FuncError> {
    let ca = match &a[4] {
        Value::Object(o) => o.as_any().downcast_ref::<Certificate>().cloned(),
        _ => None,
    }
    .unwrap_or(Certificate {
        cert: String::new(),
        key: String::new(),
    });
    let Some((_, der)) = pem_decode(&ca.cert) else {
        return Err(err("unable to decode certificate"));
    };
    let pem = pem_encode("CERTIFICATE", &der);
    let ca_key = parse_private_key_pem(&ca.key)
        .map_err(|e| err(format!("error parsing private key: {e}")))?;
    let t = template(arg_str(a, 0), &a[1], &a[2], arg_int(a, 3))?;
    sign(&t, key, Some((&pem, &ca_key))).map(Value::object)
}

/// Sprig `buildCustomCertificate`: checks and wraps base64-encoded PEM certificate and key.
pub fn build_custom_cert(b64cert: &str, b64key: &str) -> Result<Certificate, FuncError> {
    let cert = b64_decode(b64cert).map_err(|_| err("unable to decode base64 certificate"))?;
    let key = b64_decode(b64key).map_err(|_| err("unable to decode base64 private key"))?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let Some((_, der)) = pem_decode(&cert) else {
        return Err(err("unable to decode certificate"));
    };
    if let Err(e) = x509_parser::parse_x509_certificate(&der) {
        return Err(err(format!(
            "error parsing certificate: decodedCert.Bytes: {e}"
        )));
    }
    parse_private_key_pem(&key).map_err(|e| err(format!("error parsing private key: {e}")))?;
    Ok(Certificate { cert, key })
}

// ---- AES ----------------------------------------------------------------------------------

fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password.as_bytes()[..n]);
    key
}

/// Sprig `encryptAES`: AES-256-CBC with a random IV and PKCS#7 padding, key = password
/// bytes zero-padded or cut to 32; result base64(IV ‖ ciphertext). Empty text gives `""`.
pub fn encrypt_aes(password: &str, plaintext: &str) -> Result<String, FuncError> {
    use cbc::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
    if plaintext.is_empty() {
        return Ok(String::new());
    }
    let mut iv = [0u8; 16];
    super::random::fill(&mut iv)?;
    let enc = cbc::Encryptor::<aes::Aes256>::new(&aes_key(password).into(), &iv.into());
    let len = plaintext.len();
    let mut buf = plaintext.as_bytes().to_vec();
    buf.resize(len + 16 - len % 16, 0);
    let ct = enc
        .encrypt_padded_mut::<Pkcs7>(&mut buf, len)
        .map_err(|_| err("crypto/cipher: input not full blocks"))?;
    let mut out = iv.to_vec();
    out.extend_from_slice(ct);
    Ok(b64_encode(&out))
}

/// Sprig `decryptAES`: the inverse of [`encrypt_aes`], with Go's panics on malformed input
/// (short input, partial blocks, bad padding length).
pub fn decrypt_aes(password: &str, crypt64: &str) -> Result<String, FuncError> {
    use cbc::cipher::{BlockDecryptMut, KeyIvInit, block_padding::NoPadding};
    if crypt64.is_empty() {
        return Ok(String::new());
    }
    let data = b64_decode(crypt64)
        .map_err(|off| err(format!("illegal base64 data at input byte {off}")))?;
    if data.len() < 16 {
        let cap = crypt64.len() / 4 * 3;
        return Err(err(format!(
            "runtime error: slice bounds out of range [:16] with capacity {cap}"
        )));
    }
    let (iv, body) = data.split_at(16);
    if body.len() % 16 != 0 {
        return Err(err("crypto/cipher: input not full blocks"));
    }
    if body.is_empty() {
        return Err(err("runtime error: index out of range [-1]"));
    }
    let mut iv16 = [0u8; 16];
    iv16.copy_from_slice(iv);
    let dec = cbc::Decryptor::<aes::Aes256>::new(&aes_key(password).into(), &iv16.into());
    let mut buf = body.to_vec();
    let plain = dec
        .decrypt_padded_mut::<NoPadding>(&mut buf)
        .map_err(|_| err("crypto/cipher: input not full blocks"))?;
    let pad = usize::from(plain[plain.len() - 1]);
    if pad > plain.len() {
        return Err(err(format!(
            "runtime error: slice bounds out of range [:{}]",
            plain.len() as i64 - pad as i64
        )));
    }
    Ok(String::from_utf8_lossy(&plain[..plain.len() - pad]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::key_generating_calls;

    #[test]
    fn counts_whole_names_of_key_generating_functions() {
        let source = br#"{{ $ca := genCA "x" 365 }}{{ genSignedCert "a" nil nil 1 $ca }}
{{ genCAWithKey "x" 1 $k }}{{ genSelfSignedCert "b" nil nil 1 }}{{ mygenCA }}{{ genSignedCertWithKey }}
{{/* genCA */}}genCA"#;
        // The comment and the bare text count too: the estimate does not parse.
        assert_eq!(key_generating_calls(source), 5);
        assert_eq!(key_generating_calls(b"genPrivateKey \"rsa\" gen ge"), 0);
        assert_eq!(key_generating_calls(b""), 0);
    }
}
