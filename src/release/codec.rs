//! The release record's storage encoding, as Helm 4.3.1's `pkg/storage/driver/util.go`
//! (`encodeRelease`, `decodeRelease`): JSON, gzip-compressed at the best level, then standard
//! base64. Decoding also reads the uncompressed base64 JSON of records stored before Helm
//! compressed them: the data is gunzipped only when it starts with gzip's magic bytes
//! `1f 8b 08`.
//!
//! The JSON is written as Go's `json.Marshal` writes the record: fields in Go's struct order
//! (see [`super::model`]), map keys sorted, no whitespace, `<` `>` `&` U+2028 U+2029 escaped as
//! `\u003c` `\u003e` `\u0026` `\u2028` `\u2029`, and floats in Go's layout. The gzip bytes are
//! not Go's byte for byte (another DEFLATE implementation), which no reader depends on.

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde::Serialize;
use serde_json::Number;
use serde_json::ser::Formatter;

use super::model::Release;
use crate::codec::json::number_text;

/// gzip's magic bytes followed by the DEFLATE method byte, as Helm checks them.
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// Errors from encoding or decoding a record.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The record could not be written as JSON (a float that is NaN or infinite).
    #[error("could not write the release record as JSON")]
    Serialize(#[source] serde_json::Error),
    /// Compressing failed (an I/O error of the in-memory writer).
    #[error("could not gzip the release record")]
    Compress(#[source] std::io::Error),
    /// The stored text is not standard base64.
    #[error("the release data is not base64")]
    Base64(#[source] base64::DecodeError),
    /// The data has gzip's magic bytes but does not decompress.
    #[error("the release data is not valid gzip")]
    Decompress(#[source] std::io::Error),
    /// The (decompressed) bytes are not a release record.
    #[error("the release data is not a release record")]
    Json(#[source] serde_json::Error),
}

/// The record as Helm's `json.Marshal` writes it (see the module docs).
///
/// # Errors
/// [`CodecError::Serialize`] only if a value holds a non-finite float, which `serde_json`
/// values cannot.
pub fn to_json(release: &Release) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    release
        .serialize(&mut serializer)
        .map_err(CodecError::Serialize)?;
    Ok(out)
}

/// Reads a record from its JSON (Helm 3 or 4 shape; see [`super::model`] for what is
/// accepted).
///
/// # Errors
/// [`CodecError::Json`] when the bytes are not JSON of a release record.
pub fn from_json(bytes: &[u8]) -> Result<Release, CodecError> {
    serde_json::from_slice(bytes).map_err(CodecError::Json)
}

/// `base64(gzip(json))`, the value of the Secret's `release` data key (Helm:
/// `encodeRelease`). Its length is what the API server counts against the Secret size limit.
///
/// # Errors
/// [`CodecError::Serialize`], [`CodecError::Compress`].
pub fn encode_release(release: &Release) -> Result<String, CodecError> {
    let json = to_json(release)?;
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&json).map_err(CodecError::Compress)?;
    let compressed = encoder.finish().map_err(CodecError::Compress)?;
    Ok(STANDARD.encode(compressed))
}

/// The record's JSON bytes from stored data: base64-decoded, then gunzipped when the bytes
/// start with gzip's magic and are longer than three bytes (Helm: `decodeRelease`).
///
/// # Errors
/// [`CodecError::Base64`], [`CodecError::Decompress`].
pub fn decode_payload(data: &[u8]) -> Result<Vec<u8>, CodecError> {
    let bytes = STANDARD.decode(data).map_err(CodecError::Base64)?;
    if bytes.len() > GZIP_MAGIC.len() && bytes.starts_with(&GZIP_MAGIC) {
        // Go's gzip reader reads concatenated members by default, as MultiGzDecoder does.
        let mut json = Vec::new();
        MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut json)
            .map_err(CodecError::Decompress)?;
        Ok(json)
    } else {
        Ok(bytes)
    }
}

/// The record from stored data (the Secret's `release` value as bytes).
///
/// # Errors
/// [`CodecError::Base64`], [`CodecError::Decompress`], [`CodecError::Json`].
pub fn decode_release(data: &[u8]) -> Result<Release, CodecError> {
    from_json(&decode_payload(data)?)
}

/// `serde_json` formatting with Go `encoding/json`'s string escaping and float layout.
struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // serde_json escapes quotes, backslashes and control characters itself (as Go does:
        // \b \f \n \r \t, else \u00xx); Go also escapes these for HTML safety.
        let mut start = 0;
        for (index, c) in fragment.char_indices() {
            let escape = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..index])?;
            writer.write_all(escape.as_bytes())?;
            start = index + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> std::io::Result<()> {
        // serde_json only calls this for finite values.
        let text = Number::from_f64(value)
            .map(|n| number_text(&n))
            .unwrap_or_else(|| "null".to_owned());
        writer.write_all(text.as_bytes())
    }

    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> std::io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::release::model::{ChartRecord, Hook, HookEvent, Info};
    use crate::release::status::ReleaseStatus;
    use crate::release::timestamp::Timestamp;

    /// The JSON inside a Secret fixture written by the real `helm` 4.3.1 (see testdata/README).
    fn fixture_json(file: &str) -> Vec<u8> {
        let secret: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(testdata(file)).unwrap_or_default())
                .unwrap_or_default();
        let data = secret["data"]["release"].as_str().unwrap_or_default();
        // The Secret's data value is base64 (Kubernetes) of Helm's base64 text.
        let stored = STANDARD.decode(data).unwrap_or_default();
        decode_payload(&stored).unwrap_or_else(|e| panic!("{file}: {e}"))
    }

    fn testdata(file: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/release/testdata")
            .join(file)
    }

    #[test]
    fn helm_written_records_re_encode_byte_for_byte() {
        for file in [
            "helm4-podinfo-v1.secret.json",
            "helm4-podinfo-v2.secret.json",
        ] {
            let json = fixture_json(file);
            let release = from_json(&json).unwrap_or_else(|e| panic!("{file}: {e}"));
            let ours = to_json(&release).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&json),
                "{file}: our JSON equals helm's"
            );
        }
    }

    #[test]
    fn helm_written_record_fields() {
        let release = from_json(&fixture_json("helm4-podinfo-v2.secret.json"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(release.name, "fixture");
        assert_eq!(release.namespace, "release-fixture");
        assert_eq!(release.revision, 2);
        assert_eq!(release.info.status, ReleaseStatus::Deployed);
        assert_eq!(release.info.description, "Upgrade complete");
        assert_eq!(
            release.info.first_deployed.map(|t| t.to_rfc3339_go()),
            Some("2026-11-21T00:45:00.603046843Z".to_owned())
        );
        assert_eq!(
            release.config,
            json!({"podAnnotations": {"note": "a&b<c>"}, "replicaCount": 2})
                .as_object()
                .cloned()
                .unwrap_or_default()
        );
        assert_eq!(release.chart_label(), "podinfo-6.14.1");
        assert_eq!(
            release.apply_method,
            Some(crate::release::model::ApplyMethod::ServerSide)
        );
        let test_hooks = release
            .hooks
            .iter()
            .filter(|h| h.events == [HookEvent::Test])
            .count();
        assert!(test_hooks >= 3, "podinfo's test hooks are recorded");
        assert!(release.manifest.contains("kind: Deployment"));
        let v1 = from_json(&fixture_json("helm4-podinfo-v1.secret.json"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v1.info.status, ReleaseStatus::Superseded);
        assert_eq!(v1.revision, 1);
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let release = from_json(&fixture_json("helm4-podinfo-v2.secret.json"))
            .unwrap_or_else(|e| panic!("{e}"));
        let stored = encode_release(&release).unwrap_or_else(|e| panic!("{e}"));
        let compressed = STANDARD.decode(&stored).unwrap_or_default();
        assert!(compressed.starts_with(&GZIP_MAGIC));
        let back = decode_release(stored.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, release);
    }

    #[test]
    fn reads_uncompressed_legacy_records_with_empty_times() {
        // The shape Helm 3 wrote before compression and with helm.sh/helm/v3/pkg/time,
        // which wrote unset times as "".
        let legacy = json!({
            "name": "old", "namespace": "ns", "version": 3,
            "info": {"first_deployed": "2020-01-02T03:04:05.5+01:00", "last_deployed": "",
                     "deleted": "", "description": "Upgrade complete", "status": "deployed"},
            "chart": {"metadata": {"name": "c", "version": "0.1.0", "apiVersion": "v2"},
                      "lock": null, "templates": [], "values": {"a": 1}, "schema": null,
                      "files": []},
            "config": null,
            "hooks": [{"name": "h", "kind": "Job", "events": ["post-install"],
                       "last_run": {"started_at": "", "completed_at": "", "phase": ""}}]
        });
        let text = serde_json::to_vec(&legacy).unwrap_or_default();
        let stored = STANDARD.encode(&text);
        let release = decode_release(stored.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(release.revision, 3);
        assert_eq!(release.info.last_deployed, None);
        assert_eq!(
            release.info.first_deployed.map(|t| t.to_rfc3339_go()),
            Some("2020-01-02T03:04:05.5+01:00".to_owned())
        );
        assert_eq!(release.apply_method, None);
        assert!(release.config.is_empty());
        assert_eq!(release.hooks[0].events, [HookEvent::PostInstall]);
        // Written back the Helm 4 way: unset times and empty config omitted.
        let written = String::from_utf8(to_json(&release).unwrap_or_default()).unwrap_or_default();
        assert!(!written.contains("last_deployed"), "{written}");
        assert!(!written.contains("\"config\""), "{written}");
        assert!(
            written.contains("\"last_run\":{\"phase\":\"\"}"),
            "{written}"
        );
    }

    #[test]
    fn go_escaping_and_floats() {
        let mut release = Release {
            name: "esc".into(),
            revision: 1,
            info: Info {
                status: ReleaseStatus::Failed,
                last_deployed: Timestamp::from_unix(0, 0),
                ..Info::default()
            },
            manifest: "a<b>&c\u{2028}\u{7f}\t\"\\\u{1}".into(),
            hooks: vec![Hook::default()],
            chart: Some(ChartRecord::default()),
            ..Release::default()
        };
        release.config = json!({"f": 1.5e21, "g": 2.0, "h": 1e-7, "i": 3})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let text = String::from_utf8(to_json(&release).unwrap_or_default()).unwrap_or_default();
        // The same record marshalled by Go with Helm's types (testdata/README.md, oracle).
        let go = std::fs::read_to_string(testdata("go-marshal-escaping.json")).unwrap_or_default();
        assert_eq!(text, go.trim_end_matches('\n'));
    }

    #[test]
    fn corrupt_data_is_reported() {
        assert!(matches!(
            decode_release(b"not base64!"),
            Err(CodecError::Base64(_))
        ));
        let bad_gzip = STANDARD.encode([0x1f, 0x8b, 0x08, 0, 1, 2, 3]);
        assert!(matches!(
            decode_release(bad_gzip.as_bytes()),
            Err(CodecError::Decompress(_))
        ));
        let not_record = STANDARD.encode(b"[1,2]");
        assert!(matches!(
            decode_release(not_record.as_bytes()),
            Err(CodecError::Json(_))
        ));
    }
}
