//! Encodings and checksums (Sprig `strings.go`, `crypto.go`): `b64enc`, `b64dec`, `b32enc`,
//! `b32dec` (Go's `encoding/base64` and `encoding/base32` standard encodings; decoding
//! errors are returned as the result text, e.g. `illegal base64 data at input byte 4`),
//! `sha1sum`, `sha256sum`, `sha512sum` (lower-case hex) and `adler32sum` (decimal).

use sha1::Digest;

use super::{RAW_STR, STR, arg_bytes, arg_str, pure};
use crate::template::funcs::{FuncMap, Signature};
use crate::template::value::Value;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub(crate) fn register(funcs: &mut FuncMap) {
    // Go strings are bytes: the encoders and hashes read them as they are, the decoders
    // return them as they are (a `ByteString` when not UTF-8).
    let raw1 = || Signature::new([RAW_STR]);
    let s1 = || Signature::new([STR]);
    pure(funcs, "b64enc", raw1(), |a| {
        Ok(b64_encode(arg_bytes(&a, 0)).into())
    });
    pure(funcs, "b64dec", s1(), |a| {
        Ok(match b64_decode(arg_str(&a, 0)) {
            Ok(b) => Value::from_go_bytes(b),
            Err(off) => format!("illegal base64 data at input byte {off}").into(),
        })
    });
    pure(funcs, "b32enc", raw1(), |a| {
        Ok(b32_encode(arg_bytes(&a, 0)).into())
    });
    pure(funcs, "b32dec", s1(), |a| {
        Ok(match b32_decode(arg_str(&a, 0)) {
            Ok(b) => Value::from_go_bytes(b),
            Err(off) => format!("illegal base32 data at input byte {off}").into(),
        })
    });
    pure(funcs, "sha1sum", raw1(), |a| {
        Ok(hex(&sha1::Sha1::digest(arg_bytes(&a, 0))).into())
    });
    pure(funcs, "sha256sum", raw1(), |a| {
        Ok(hex(&sha2::Sha256::digest(arg_bytes(&a, 0))).into())
    });
    pure(funcs, "sha512sum", raw1(), |a| {
        Ok(hex(&sha2::Sha512::digest(arg_bytes(&a, 0))).into())
    });
    pure(funcs, "adler32sum", raw1(), |a| {
        Ok(adler32(arg_bytes(&a, 0)).to_string().into())
    });
}

/// Lower-case hexadecimal (Go's `hex.EncodeToString`).
pub fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(D[usize::from(x >> 4)] as char);
        s.push(D[usize::from(x & 15)] as char);
    }
    s
}

/// Adler-32 checksum (Go's `hash/adler32`).
pub fn adler32(b: &[u8]) -> u32 {
    let (mut s1, mut s2) = (1u32, 0u32);
    for chunk in b.chunks(5552) {
        for x in chunk {
            s1 += u32::from(*x);
            s2 += s1;
        }
        s1 %= 65521;
        s2 %= 65521;
    }
    (s2 << 16) | s1
}

/// Standard base64 with padding.
pub fn b64_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(chunk.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64_value(c: u8) -> Option<u32> {
    B64.iter().position(|x| *x == c).map(|p| p as u32)
}

/// Go's `base64.StdEncoding.DecodeString`: `\r` and `\n` are skipped; on failure the byte
/// offset Go reports in `CorruptInputError`.
pub fn b64_decode(s: &str) -> Result<Vec<u8>, usize> {
    let src = s.as_bytes();
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0usize;
    loop {
        let mut buf = [0u32; 4];
        let mut dlen = 4;
        let mut j = 0usize;
        let mut trailing_err: Option<usize> = None;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = b64_value(c) {
                buf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if src[si] != b'=' {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                trailing_err = Some(si);
            }
            dlen = j;
            break;
        }
        let val = (buf[0] << 18) | (buf[1] << 12) | (buf[2] << 6) | buf[3];
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(e) = trailing_err {
            return Err(e);
        }
        if dlen < 4 {
            return Ok(out);
        }
    }
}

/// Standard base32 with padding.
pub fn b32_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(5) * 8);
    for chunk in b.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x));
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(B32[((n >> (35 - 5 * i)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `base32.StdEncoding.DecodeString`: newlines are removed first; on failure the
/// offset (in the text without newlines) Go reports.
pub fn b32_decode(s: &str) -> Result<Vec<u8>, usize> {
    let src: Vec<u8> = s.bytes().filter(|c| *c != b'\n' && *c != b'\r').collect();
    let olen = src.len();
    let mut rest: &[u8] = &src;
    let mut out = Vec::with_capacity(olen / 8 * 5);
    let mut end = false;
    while !rest.is_empty() && !end {
        let mut dbuf = [0u8; 8];
        let mut dlen = 8;
        let mut j = 0usize;
        while j < 8 {
            if rest.is_empty() {
                return Err(olen - rest.len() - j);
            }
            let c = rest[0];
            rest = &rest[1..];
            if c == b'=' && j >= 2 && rest.len() < 8 {
                if rest.len() + j < 7 {
                    return Err(olen);
                }
                for k in 0..(7 - j) {
                    if rest.len() > k && rest[k] != b'=' {
                        return Err(olen - rest.len() + k - 1);
                    }
                }
                dlen = j;
                end = true;
                if matches!(dlen, 1 | 3 | 6) {
                    return Err(olen - rest.len() - 1);
                }
                break;
            }
            match B32.iter().position(|x| *x == c) {
                Some(v) => dbuf[j] = v as u8,
                None => return Err(olen - rest.len() - 1),
            }
            j += 1;
        }
        let n = dbuf.iter().fold(0u64, |acc, x| (acc << 5) | u64::from(*x));
        let bytes = n.to_be_bytes();
        let count = match dlen {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => 0,
        };
        out.extend_from_slice(&bytes[3..3 + count]);
    }
    Ok(out)
}
