//! Tests by shape for functions whose output is random or depends on the clock (Sprig's
//! random strings, UUIDs, bcrypt, keys, certificates, `now`): lengths, alphabets, formats,
//! parsed PEM/X.509 contents and verification.
#![allow(
    clippy::expect_used,
    clippy::type_complexity,
    reason = "a failed expectation is a failed test"
)]

use super::super::value::Value;
use super::super::{Options, TemplateSet};
use super::oracle_tests::helm_map;

fn run(text: &str) -> Result<String, String> {
    let mut set = TemplateSet::new("t", helm_map(), Options::default());
    set.add("t", text).map_err(|e| e.message().to_string())?;
    set.render("t", &Value::Nil)
        .map_err(|e| e.message().to_string())
}

fn ok(text: &str) -> String {
    match run(text) {
        Ok(s) => s,
        Err(e) => panic!("{text}: {e}"),
    }
}

#[test]
fn random_strings_have_the_requested_length_and_alphabet() {
    let cases: [(&str, fn(char) -> bool); 4] = [
        ("randAlphaNum", |c| c.is_ascii_alphanumeric()),
        ("randAlpha", |c| c.is_ascii_alphabetic()),
        ("randNumeric", |c| c.is_ascii_digit()),
        ("randAscii", |c| (' '..='~').contains(&c)),
    ];
    for (name, allowed) in cases {
        let s = ok(&format!("{{{{ {name} 200 }}}}"));
        assert_eq!(s.chars().count(), 200, "{name}");
        assert!(s.chars().all(allowed), "{name}: {s}");
        assert_eq!(ok(&format!("[{{{{ {name} 0 }}}}]")), "[]");
        assert_eq!(ok(&format!("[{{{{ {name} -3 }}}}]")), "[]");
    }
    // Two long draws differ (probability of a clash is negligible).
    assert_ne!(ok("{{ randAlphaNum 32 }}"), ok("{{ randAlphaNum 32 }}"));
}

#[test]
fn rand_bytes_rand_int_shuffle_and_uuid() {
    let b = ok("{{ randBytes 24 }}");
    let raw = super::encoding::b64_decode(&b).expect("base64");
    assert_eq!(raw.len(), 24);
    assert!(run("{{ randBytes -1 }}").is_err());
    for _ in 0..200 {
        let n: i64 = ok("{{ randInt 5 10 }}").parse().expect("int");
        assert!((5..10).contains(&n));
    }
    let e = run("{{ randInt 5 5 }}").expect_err("empty range");
    assert!(
        e.ends_with("error calling randInt: invalid argument to Intn"),
        "{e}"
    );
    let mut s: Vec<char> = ok("{{ shuffle \"héllo wörld\" }}").chars().collect();
    let mut orig: Vec<char> = "héllo wörld".chars().collect();
    s.sort_unstable();
    orig.sort_unstable();
    assert_eq!(s, orig);
    let u = ok("{{ uuidv4 }}");
    let parts: Vec<&str> = u.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(parts[2].starts_with('4'));
    assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"));
    assert!(
        u.chars()
            .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[test]
fn bcrypt_and_htpasswd_verify() {
    let h = ok("{{ bcrypt \"s3cret\" }}");
    assert!(h.starts_with("$2a$10$") && h.len() == 60, "{h}");
    assert!(bcrypt::verify("s3cret", &h).expect("valid hash"));
    let line = ok("{{ htpasswd \"admin\" \"pw\" }}");
    let (user, hash) = line.split_once(':').expect("user:hash");
    assert_eq!(user, "admin");
    assert!(bcrypt::verify("pw", hash).expect("valid hash"));
}

fn pem_kind(pem: &str) -> &str {
    pem.strip_prefix("-----BEGIN ")
        .and_then(|r| r.split_once("-----"))
        .map_or("", |(k, _)| k)
}

#[test]
fn generated_keys_parse_back() {
    for (kind, header) in [
        ("ecdsa", "EC PRIVATE KEY"),
        ("ed25519", "PRIVATE KEY"),
        ("rsa", "RSA PRIVATE KEY"),
        ("", "RSA PRIVATE KEY"),
    ] {
        let pem = ok(&format!("{{{{ genPrivateKey \"{kind}\" }}}}"));
        assert_eq!(pem_kind(&pem), header, "{kind}");
        assert!(pem.ends_with(&format!("-----END {header}-----\n")));
        let key = super::crypto::parse_private_key_pem(&pem).unwrap_or_else(|e| panic!("{e}"));
        if let super::crypto::PrivKey::Rsa(k) = &key {
            use rsa::traits::PublicKeyParts;
            assert_eq!(k.size() * 8, 4096);
        }
        // Re-encoding gives the same PEM.
        assert_eq!(key.to_pem(), pem);
    }
}

#[test]
fn dsa_keys_round_trip() {
    let pem = ok("{{ genPrivateKey \"dsa\" }}");
    assert_eq!(pem_kind(&pem), "DSA PRIVATE KEY");
    let key = super::crypto::parse_private_key_pem(&pem).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(key.to_pem(), pem);
    let e = run(&format!("{{{{ genCAWithKey \"x\" 1 {:?} }}}}", pem)).expect_err("dsa cannot sign");
    assert!(e.contains("does not implement crypto.Signer"), "{e}");
}

fn parse_cert(pem: &str) -> Vec<u8> {
    let (kind, der) = super::crypto::pem_decode(pem).expect("PEM");
    assert_eq!(kind, "CERTIFICATE");
    der
}

#[test]
fn ca_and_signed_certificates_have_sprigs_fields() {
    use x509_parser::prelude::*;
    let out = ok(concat!(
        "{{ $ca := genCA \"my-ca\" 365 }}",
        "{{ $c := genSignedCert \"svc\" (list \"10.0.0.1\" \"::1\") (list \"a.example\" \"b\") 30 $ca }}",
        "{{ $ca.Cert }}|{{ $ca.Key }}|{{ $c.Cert }}|{{ $c.Key }}"
    ));
    let parts: Vec<&str> = out.split('|').collect();
    assert_eq!(parts.len(), 4);
    assert_eq!(pem_kind(parts[1]), "RSA PRIVATE KEY");
    assert_eq!(pem_kind(parts[3]), "RSA PRIVATE KEY");
    let ca_der = parse_cert(parts[0]);
    let (_, ca) = parse_x509_certificate(&ca_der).expect("CA parses");
    assert!(ca.is_ca());
    assert_eq!(
        ca.subject()
            .iter_common_name()
            .next()
            .and_then(|c| c.as_str().ok()),
        Some("my-ca")
    );
    let ku = ca.key_usage().expect("ku").expect("present").value;
    assert!(ku.key_cert_sign() && ku.digital_signature() && ku.key_encipherment());
    let days = (ca.validity().not_after.timestamp() - ca.validity().not_before.timestamp()) / 86400;
    assert_eq!(days, 365);
    ca.verify_signature(None).expect("self-signed");
    let leaf_der = parse_cert(parts[2]);
    let (_, leaf) = parse_x509_certificate(&leaf_der).expect("leaf parses");
    assert!(!leaf.is_ca());
    assert_eq!(leaf.issuer(), ca.subject());
    leaf.verify_signature(Some(ca.public_key()))
        .expect("signed by the CA");
    let eku = leaf
        .extended_key_usage()
        .expect("eku")
        .expect("present")
        .value;
    assert!(eku.server_auth && eku.client_auth);
    let san = leaf
        .subject_alternative_name()
        .expect("san")
        .expect("present")
        .value;
    let names: Vec<String> = san.general_names.iter().map(|g| g.to_string()).collect();
    assert!(names.iter().any(|n| n.contains("a.example")), "{names:?}");
    assert!(names.iter().any(|n| n.contains("0a:00:00:01")), "{names:?}");
    assert!(leaf.serial.bits() <= 128);
}

#[test]
fn certificates_with_supplied_keys() {
    use x509_parser::prelude::*;
    for kind in ["ecdsa", "ed25519"] {
        let out = ok(&format!(
            concat!(
                "{{{{ $k := genPrivateKey \"{0}\" }}}}",
                "{{{{ $ca := genCAWithKey \"ca\" 10 $k }}}}",
                "{{{{ $s := genSelfSignedCertWithKey \"self\" nil (list \"x\") 5 $k }}}}",
                "{{{{ $c := genSignedCertWithKey \"leaf\" nil nil 5 $ca $k }}}}",
                "{{{{ $ca.Cert }}}}|{{{{ $s.Cert }}}}|{{{{ $c.Cert }}}}|{{{{ eq $ca.Key $k }}}}"
            ),
            kind
        ));
        let parts: Vec<&str> = out.split('|').collect();
        assert_eq!(parts[3], "true", "{kind}: key returned unchanged");
        let ca_der = parse_cert(parts[0]);
        let (_, ca) = parse_x509_certificate(&ca_der).expect("ca");
        ca.verify_signature(None).expect("self-signed CA");
        let self_der = parse_cert(parts[1]);
        let (_, s) = parse_x509_certificate(&self_der).expect("self-signed");
        s.verify_signature(None).expect("self-signed");
        let leaf_der = parse_cert(parts[2]);
        let (_, leaf) = parse_x509_certificate(&leaf_der).expect("leaf");
        leaf.verify_signature(Some(ca.public_key()))
            .expect("signed by CA");
    }
    // A generated certificate can be rebuilt with buildCustomCert.
    let out = ok(
        "{{ $c := genSelfSignedCert \"x\" nil nil 1 }}{{ $b := buildCustomCert (b64enc $c.Cert) (b64enc $c.Key) }}{{ eq $b.Cert $c.Cert }}",
    );
    assert_eq!(out, "true");
}

#[test]
fn clock_functions() {
    assert_eq!(ok("{{ typeOf now }}"), "time.Time");
    let year = ok("{{ now | date \"2006\" }}");
    let y: i32 = year.parse().expect("year");
    assert!(y >= 2025);
    assert_eq!(ok("{{ ago now }}"), "0s");
    let s = ok("{{ now }}");
    assert!(s.contains(" +0000 UTC m=+"), "{s}");
    assert_eq!(ok("{{ durationRound now }}"), "0s");
    let e = ok("{{ now | unixEpoch }}");
    assert!(e.parse::<i64>().expect("epoch") > 1_700_000_000);
    assert_eq!(ok("{{ htmlDate \"x\" | len }}"), "10");
}

/// Writes generated keys and certificates to `$SPRIG_DUMP_PEMS` (a directory) so they can be
/// checked with Go (see `e2e/oracles/sprig`); does nothing when the variable is unset.
#[test]
fn dump_pems_for_go() {
    let Some(dir) = std::env::var_os("SPRIG_DUMP_PEMS") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    for kind in ["rsa", "ecdsa", "ed25519", "dsa"] {
        let out = ok(&format!(
            "{{{{ $k := genPrivateKey \"{kind}\" }}}}{{{{ $k }}}}"
        ));
        std::fs::write(dir.join(format!("{kind}.key")), out).expect("write");
    }
    let out = ok(
        "{{ $ca := genCA \"ca\" 3 }}{{ $c := genSignedCert \"leaf\" (list \"10.1.2.3\") (list \"x.example\") 3 $ca }}{{ $ca.Cert }}|{{ $ca.Key }}|{{ $c.Cert }}|{{ $c.Key }}",
    );
    for (i, part) in out.split('|').enumerate() {
        std::fs::write(dir.join(format!("chain{i}.pem")), part).expect("write");
    }
}

/// Parses keys and a CA that Go's Sprig generated, from `$SPRIG_GO_PEMS` (files `rsa.key`,
/// `ecdsa.key`, `ed25519.key`, `dsa.key`, `ca.key` holding `CERT|KEY`); does nothing when the
/// variable is unset.
#[test]
fn go_generated_pems_are_accepted() {
    let Some(dir) = std::env::var_os("SPRIG_GO_PEMS") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    for kind in ["rsa", "ecdsa", "ed25519", "dsa"] {
        let pem = std::fs::read_to_string(dir.join(format!("{kind}.key"))).expect("read");
        let key =
            super::crypto::parse_private_key_pem(&pem).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(key.to_pem(), pem, "{kind} re-encodes identically");
    }
    let ca = std::fs::read_to_string(dir.join("ca.key")).expect("read");
    let (cert, key) = ca.split_once('|').expect("CERT|KEY");
    let out = ok(&format!(
        "{{{{ $ca := buildCustomCert {:?} {:?} }}}}{{{{ (genSignedCert \"l\" nil nil 1 $ca).Cert | len }}}}",
        super::encoding::b64_encode(cert.as_bytes()),
        super::encoding::b64_encode(key.as_bytes())
    ));
    assert!(out.parse::<usize>().expect("len") > 500);
}

/// Go's asn1 writes a name attribute as a PrintableString when its characters allow, else
/// as a UTF8String (observed with helm v4.3.1 and `openssl asn1parse`: `my-ca` is a
/// PRINTABLESTRING, `é-ca` a UTF8STRING).
#[test]
fn common_names_use_gos_string_types() {
    let out = ok("{{ (genCA \"my-ca\" 1).Cert }}|{{ (genCA \"é-ca\" 1).Cert }}");
    let (printable, utf8) = out.split_once('|').expect("two certificates");
    let find = |der: &[u8], tag: u8, text: &str| {
        let mut needle = vec![tag, text.len() as u8];
        needle.extend_from_slice(text.as_bytes());
        der.windows(needle.len()).any(|w| w == needle.as_slice())
    };
    let der = parse_cert(printable);
    assert!(find(&der, 0x13, "my-ca"), "PrintableString CN");
    let der = parse_cert(utf8);
    assert!(find(&der, 0x0c, "é-ca"), "UTF8String CN");
}
