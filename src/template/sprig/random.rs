//! Random values (Sprig `strings.go`, `functions.go`, `crypto.go`; goutils
//! `cryptorandomstringutils.go`): `randAlphaNum`, `randAlpha`, `randNumeric`, `randAscii`
//! (strings of `count` characters; a negative count gives `""`), `randBytes` (base64 of
//! `count` random bytes), `randInt` (`min <= n < max`), `shuffle` (random permutation of
//! the runes) and `uuidv4`. Randomness comes from the operating system (`getrandom`).

use super::{INT, STR, arg_int, arg_str, pure};
use crate::template::error::FuncError;
use crate::template::funcs::{FuncMap, Signature};
use crate::template::value::Value;

pub(crate) fn register(funcs: &mut FuncMap) {
    for (name, alphabet) in [
        ("randAlphaNum", ALPHANUM),
        ("randAlpha", ALPHA),
        ("randNumeric", NUMERIC),
        ("randAscii", ASCII),
    ] {
        funcs.register(name, Signature::new([INT]), move |ctx, a| {
            let n = arg_int(&a, 0);
            if n > ctx.options().max_output_bytes as i64 {
                return Err(FuncError::new(format!(
                    "random string of {n} characters exceeds the output limit"
                )));
            }
            Ok(Value::from(random_string(n, alphabet)?))
        });
    }
    funcs.register("randBytes", Signature::new([INT]), |ctx, a| {
        let n = arg_int(&a, 0);
        if n < 0 {
            return Err(FuncError::new("runtime error: makeslice: len out of range"));
        }
        if n > ctx.options().max_output_bytes as i64 {
            return Err(FuncError::new(format!(
                "{n} random bytes exceed the output limit"
            )));
        }
        let mut buf = vec![0u8; n as usize];
        fill(&mut buf)?;
        Ok(Value::from(super::encoding::b64_encode(&buf)))
    });
    pure(funcs, "randInt", Signature::new([INT, INT]), |a| {
        let (min, max) = (arg_int(&a, 0), arg_int(&a, 1));
        let n = max.wrapping_sub(min);
        if n <= 0 {
            return Err(FuncError::new("invalid argument to Intn"));
        }
        Ok(Value::int(uniform(n as u64)? as i64 + min))
    });
    pure(funcs, "shuffle", Signature::new([STR]), |a| {
        let mut runes: Vec<char> = arg_str(&a, 0).chars().collect();
        for i in (1..runes.len()).rev() {
            let j = uniform(i as u64 + 1)? as usize;
            runes.swap(i, j);
        }
        Ok(Value::from(runes.into_iter().collect::<String>()))
    });
    pure(funcs, "uuidv4", Signature::new([]), |_| {
        Ok(Value::from(uuid_v4()?))
    });
}

const ALPHANUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const ALPHA: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const NUMERIC: &str = "0123456789";
const ASCII: &str = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

/// Fills `buf` from the operating system's random source.
pub fn fill(buf: &mut [u8]) -> Result<(), FuncError> {
    getrandom::fill(buf).map_err(|e| FuncError::new(format!("random source failed: {e}")))
}

/// A uniform integer in `0..n` (`n > 0`), by rejection sampling.
pub fn uniform(n: u64) -> Result<u64, FuncError> {
    let zone = u64::MAX - (u64::MAX % n + 1) % n;
    loop {
        let mut b = [0u8; 8];
        fill(&mut b)?;
        let v = u64::from_le_bytes(b);
        if v <= zone {
            return Ok(v % n);
        }
    }
}

/// `count` characters drawn uniformly from `alphabet` (goutils draws code points from a
/// range and keeps the allowed ones, which is the same distribution).
pub fn random_string(count: i64, alphabet: &str) -> Result<String, FuncError> {
    if count <= 0 {
        return Ok(String::new());
    }
    let chars: Vec<char> = alphabet.chars().collect();
    let mut out = String::with_capacity(count as usize);
    for _ in 0..count {
        out.push(chars[uniform(chars.len() as u64)? as usize]);
    }
    Ok(out)
}

/// A random (version 4, variant 10) UUID in canonical form.
pub fn uuid_v4() -> Result<String, FuncError> {
    let mut b = [0u8; 16];
    fill(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = super::encoding::hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}
