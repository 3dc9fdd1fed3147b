//! Fast RSA key generation for Sprig's `genCA`, `genSelfSignedCert`, `genSignedCert` (2048
//! bits) and `genPrivateKey "rsa"` (4096 bits).
//!
//! The key has the shape Go's `crypto/rsa.GenerateKey` (Go 1.26,
//! `crypto/internal/fips140/rsa/keygen.go`) produces: two distinct primes of `bits / 2` bits
//! each with the two top bits set (so the modulus has exactly `bits` bits), public exponent
//! 65537, private exponent `e⁻¹ mod λ(n)` with `λ(n) = lcm(p − 1, q − 1)`, and the CRT values
//! (`rsa::RsaPrivateKey::from_p_q` computes `d` and validates the key).
//!
//! What differs from Go is only the search, for speed (the `rsa` crate's generic search took
//! about 200 ms per 2048-bit key, three times Go's):
//! - a random odd start with the top two bits set, then the odd numbers after it in order
//!   (the incremental search OpenSSL has long used), with the multiples of every odd prime
//!   below 2¹⁶ and the numbers `≡ 1 (mod 65537)` (where `gcd(e, p − 1) ≠ 1`) sieved out of a
//!   window at once, so far fewer candidates reach the expensive test;
//! - each survivor gets a Miller–Rabin test to base 2 (squarings plus modular doublings in
//!   Montgomery form on fixed-size limbs), and one that passes gets the further rounds with
//!   random bases that bring it to Go's count for its size (5 rounds in total for 1024-bit
//!   primes, 4 for 2048-bit ones; FIPS 186-5 table B.1 as BoringSSL and Go apply it);
//! - on a CPU with AVX-512 IFMA the Miller–Rabin tests run in 52-bit-limb Montgomery
//!   arithmetic on 512-bit registers, survivors two at a time so each one's dependent
//!   multiply-adds fill the other's latency, and a survivor's random-base rounds two at a
//!   time (the `miller-rabin-ifma` crate; `sprig/rsa-2048-key` in `benches/template.rs` went
//!   from 12.2 to 4.5 ms per key; other CPUs use the portable code below);
//! - squarings use a dedicated routine, and primes are searched on two threads until the
//!   key's two are found (`find_primes`).
//!
//! A caller that knows keys will be wanted (`wheelhouse template` on a chart whose templates
//! call `genCA` and friends) can [`prefetch`] 2048-bit keys: they are generated in the
//! background while the chart loads and renders, and [`generate`] hands them out.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

/// Bound of the odd primes the sieve removes multiples of.
const SIEVE_BOUND: u32 = 1 << 16;
/// Odd numbers examined after one random start before drawing a new start.
const WINDOW: usize = 1 << 14;
/// Go's public exponent.
const PUBLIC_EXPONENT: u64 = 65537;
/// Limbs of the largest prime generated here (2048 bits, for 4096-bit keys).
const MAX_LIMBS: usize = 32;

/// Errors of key generation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeygenError {
    /// The system random source failed.
    #[error("random source: {0}")]
    Random(String),
    /// The `rsa` crate rejected the assembled key (a bug here).
    #[error("{0}")]
    Key(String),
}

/// A new RSA private key of `bits` bits (Go's `rsa.GenerateKey(rand.Reader, bits)` shape, see
/// the module documentation). 2048 and 4096 bits use the fast search; other sizes the `rsa`
/// crate's.
///
/// # Errors
/// [`KeygenError::Random`] when the operating system's random source fails,
/// [`KeygenError::Key`] if the key does not validate.
pub fn generate(bits: usize) -> Result<rsa::RsaPrivateKey, KeygenError> {
    if bits == PREFETCH_BITS
        && let Some(key) = take_prefetched()
    {
        return Ok(key);
    }
    generate_now(bits)
}

/// Size of the keys [`prefetch`] makes: the size of `genCA`, `genSelfSignedCert` and
/// `genSignedCert` keys.
pub const PREFETCH_BITS: usize = 2048;

/// Keys made ahead of use, and how many are still being made.
struct KeyPool {
    state: Mutex<PoolState>,
    changed: Condvar,
}

#[derive(Default)]
struct PoolState {
    ready: Vec<rsa::RsaPrivateKey>,
    pending: usize,
}

impl KeyPool {
    fn new() -> KeyPool {
        KeyPool {
            state: Mutex::new(PoolState::default()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// See [`prefetch`].
    fn start(&'static self, count: usize) {
        if count == 0 {
            return;
        }
        self.lock().pending += count;
        let worker = std::thread::Builder::new()
            .name("rsa-prefetch".to_string())
            .spawn(move || {
                // A prime waiting for its partner; every second prime completes a key.
                let unpaired = Mutex::new(None::<Vec<u8>>);
                let offered = AtomicUsize::new(0);
                let pair_up = |prime: Vec<u8>| {
                    let mut slot = unpaired.lock().unwrap_or_else(|e| e.into_inner());
                    match slot.take() {
                        Some(partner) => {
                            drop(slot);
                            offered.fetch_add(1, Ordering::SeqCst);
                            self.offer(key_from_primes(&partner, &prime, PREFETCH_BITS).ok());
                        }
                        None => *slot = Some(prime),
                    }
                };
                // A panic must not leave a taker waiting for a key that never comes.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    find_primes::<{ PREFETCH_BITS / 64 / 2 }>(2 * count, &pair_up)
                }));
                // Keys not made (a failed random source, a panic) are no longer coming.
                let missing = count - offered.load(Ordering::SeqCst);
                let mut state = self.lock();
                state.pending = state.pending.saturating_sub(missing);
                self.changed.notify_all();
            });
        if worker.is_err() {
            self.lock().pending -= count;
        }
    }

    /// Offers a made key (`None`: one that failed) to takers.
    fn offer(&self, key: Option<rsa::RsaPrivateKey>) {
        let mut state = self.lock();
        state.pending = state.pending.saturating_sub(1);
        state.ready.extend(key);
        self.changed.notify_all();
    }

    /// A ready key, waiting for one under way; `None` when none is ready or coming.
    fn take(&self) -> Option<rsa::RsaPrivateKey> {
        let mut state = self.lock();
        loop {
            if let Some(key) = state.ready.pop() {
                return Some(key);
            }
            if state.pending == 0 {
                return None;
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

fn process_pool() -> &'static KeyPool {
    static POOL: OnceLock<KeyPool> = OnceLock::new();
    POOL.get_or_init(KeyPool::new)
}

/// Starts generating `count` keys of [`PREFETCH_BITS`] bits on a background thread (its
/// prime search uses a second one, see `find_primes`); [`generate`] of that size takes them
/// as they are made, waiting for one under way rather than starting its own. Keys nobody takes are dropped with the process. A key that fails
/// to generate is not offered (the caller's own generation then reports the error). Does
/// nothing if the thread cannot start.
pub fn prefetch(count: usize) {
    process_pool().start(count);
}

fn take_prefetched() -> Option<rsa::RsaPrivateKey> {
    process_pool().take()
}

/// [`generate`] without the prefetched keys.
fn generate_now(bits: usize) -> Result<rsa::RsaPrivateKey, KeygenError> {
    let found = Mutex::new(Vec::with_capacity(2));
    let keep = |prime: Vec<u8>| found.lock().unwrap_or_else(|e| e.into_inner()).push(prime);
    match bits {
        2048 => find_primes::<16>(2, &keep)?,
        4096 => find_primes::<32>(2, &keep)?,
        _ => {
            return rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits)
                .map_err(|e| KeygenError::Key(e.to_string()));
        }
    }
    match found
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .as_slice()
    {
        [p, q] => key_from_primes(p, q, bits),
        _ => Err(KeygenError::Key("internal error: not two primes".into())),
    }
}

/// The key of two primes (big-endian bytes) that should make a `bits`-bit modulus.
fn key_from_primes(p: &[u8], q: &[u8], bits: usize) -> Result<rsa::RsaPrivateKey, KeygenError> {
    let p = rsa::BigUint::from_bytes_be(p);
    let q = rsa::BigUint::from_bytes_be(q);
    // `from_p_q` rejects p == q (Go: "generated p == q, random source is broken").
    let key = rsa::RsaPrivateKey::from_p_q(p, q, rsa::BigUint::from(PUBLIC_EXPONENT))
        .map_err(|e| KeygenError::Key(e.to_string()))?;
    let n_bits = rsa::traits::PublicKeyParts::n(&key).bits();
    if n_bits != bits {
        return Err(KeygenError::Key(format!(
            "internal error: modulus has {n_bits} bits, not {bits}"
        )));
    }
    Ok(key)
}

/// Finds `count` primes of `64 × N` bits on two threads, handing each to `found` as soon as
/// it is found (on the thread that found it). Each thread keeps searching until `count`
/// primes are found between them, so neither idles while the other finishes a search, as it
/// would if each searched a fixed share (a search's length is random: about geometric).
/// Falls back to one thread if the second cannot start.
fn find_primes<const N: usize>(
    count: usize,
    found: &(dyn Fn(Vec<u8>) + Sync),
) -> Result<(), KeygenError> {
    let remaining = AtomicUsize::new(count);
    let enough = || remaining.load(Ordering::Relaxed) == 0;
    let search = || -> Result<(), KeygenError> {
        while let Some(prime) = prime::<N>(&enough)? {
            // Only the first `count` primes are kept (both threads may finish at once).
            if remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |r| r.checked_sub(1))
                .is_ok()
            {
                found(prime);
            }
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("rsa-prime".to_string())
            .spawn_scoped(scope, search);
        let mine = search();
        let theirs = match helper {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|_| Err(KeygenError::Key("prime search thread panicked".into()))),
            Err(_) => Ok(()),
        };
        // A failing thread stopped early; the other then found the rest.
        match (mine, theirs) {
            (Err(e), _) | (_, Err(e)) if !enough() => Err(e),
            _ => Ok(()),
        }
    })
}

/// The odd primes below [`SIEVE_BOUND`], in pairs whose products fit 32 bits (residues of a
/// big number are taken modulo the product, then split).
fn small_primes() -> &'static [u32] {
    static PRIMES: OnceLock<Vec<u32>> = OnceLock::new();
    PRIMES.get_or_init(|| {
        let n = SIEVE_BOUND as usize;
        let mut composite = vec![false; n];
        let mut primes = Vec::new();
        for i in 3..n {
            if composite[i] || i % 2 == 0 {
                continue;
            }
            primes.push(i as u32);
            let mut j = i * i;
            while j < n {
                composite[j] = true;
                j += i;
            }
        }
        primes
    })
}

fn random_limbs<const N: usize>() -> Result<[u64; N], KeygenError> {
    let mut bytes = vec![0u8; N * 8];
    getrandom::fill(&mut bytes).map_err(|e| KeygenError::Random(e.to_string()))?;
    let mut limbs = [0u64; N];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(b);
    }
    Ok(limbs)
}

/// `x mod m` for a small modulus (`m < 2³²`), reading 32 bits at a time.
fn rem_small<const N: usize>(x: &[u64; N], m: u64) -> u64 {
    let mut r = 0u64;
    for &limb in x.iter().rev() {
        r = ((r << 32) | (limb >> 32)) % m;
        r = ((r << 32) | (limb & 0xFFFF_FFFF)) % m;
    }
    r
}

/// A prime of `64 × N` bits with its two top bits set, big-endian bytes; `None` once `stop`
/// says so (asked before each candidate's test).
fn prime<const N: usize>(stop: &dyn Fn() -> bool) -> Result<Option<Vec<u8>>, KeygenError> {
    let primes = small_primes();
    let rounds = mr_rounds(64 * N);
    let mut composite = vec![false; WINDOW];
    loop {
        if stop() {
            return Ok(None);
        }
        let mut start = random_limbs::<N>()?;
        start[N - 1] |= 0b11 << 62;
        start[0] |= 1;
        // The window must not carry past the top limb.
        if start[N - 1] == u64::MAX {
            continue;
        }
        composite.fill(false);
        // Candidate k is start + 2k; mark every k where a small prime divides it.
        for pair in primes.chunks(2) {
            let product: u64 = pair.iter().map(|&p| u64::from(p)).product();
            let r = rem_small(&start, product);
            for &p in pair {
                let p = u64::from(p);
                let residue = r % p;
                // start + 2k ≡ 0 (mod p)  ⇔  k ≡ (p − residue)·(p + 1)/2 (mod p).
                let first = ((p - residue) % p) * p.div_ceil(2) % p;
                let mut k = first as usize;
                while k < WINDOW {
                    composite[k] = true;
                    k += p as usize;
                }
            }
        }
        // start + 2k ≡ 1 (mod e): then e divides p − 1 and has no inverse mod λ(n).
        let re = rem_small(&start, PUBLIC_EXPONENT);
        let mut survivors = composite
            .iter()
            .enumerate()
            .filter(|&(k, &is_composite)| {
                !is_composite && (re + 2 * k as u64) % PUBLIC_EXPONENT != 1
            })
            .map(|(k, _)| add_small(&start, 2 * k as u64));
        loop {
            if stop() {
                return Ok(None);
            }
            let Some(first) = survivors.next() else {
                break;
            };
            // With AVX-512 IFMA, survivors are tested to base 2 two at a time.
            let second = if miller_rabin_ifma::available() {
                survivors.next()
            } else {
                None
            };
            let passed_base2 = match &second {
                Some(second) => miller_rabin_ifma::miller_rabin_base2_pair([&first, second]),
                None => None,
            }
            .unwrap_or_else(|| [base2_probable_prime(&first), false]);
            for (candidate, passed) in std::iter::once(first).chain(second).zip(passed_base2) {
                if passed && passes_random_rounds(&candidate, rounds)? {
                    return Ok(Some(to_bytes_be(&candidate)));
                }
            }
        }
    }
}

/// Miller–Rabin to base 2 of one candidate: every candidate on a CPU without AVX-512 IFMA
/// (portable code); with it, only a window's odd last survivor, tested as a pair with itself.
fn base2_probable_prime<const N: usize>(candidate: &[u64; N]) -> bool {
    miller_rabin_ifma::miller_rabin_base2_pair([candidate, candidate]).map_or_else(
        || Montgomery::new(candidate).miller_rabin_base2(),
        |[passed, _]| passed,
    )
}

/// The Miller–Rabin rounds to random bases after the one to base 2 (`rounds` in all).
fn passes_random_rounds<const N: usize>(
    candidate: &[u64; N],
    rounds: usize,
) -> Result<bool, KeygenError> {
    let m = Montgomery::new(candidate);
    let mut left = rounds.saturating_sub(1);
    while left > 0 {
        let first = m.random_base()?;
        // With IFMA, two rounds run interleaved.
        if left >= 2 && miller_rabin_ifma::available() {
            let second = m.random_base()?;
            if let Some(passed) = miller_rabin_ifma::miller_rabin_pair(candidate, [&first, &second])
            {
                if passed != [true, true] {
                    return Ok(false);
                }
                left -= 2;
                continue;
            }
        }
        let passed = match miller_rabin_ifma::miller_rabin(candidate, &first) {
            Some(passed) => passed,
            None => m.miller_rabin_to(&first),
        };
        if !passed {
            return Ok(false);
        }
        left -= 1;
    }
    Ok(true)
}

/// Go's Miller–Rabin round count for a random candidate of `bits` bits (`isPrime` in
/// `crypto/internal/fips140/rsa/keygen.go`).
fn mr_rounds(bits: usize) -> usize {
    match bits {
        b if b >= 3747 => 3,
        b if b >= 1345 => 4,
        b if b >= 476 => 5,
        b if b >= 400 => 6,
        b if b >= 347 => 7,
        b if b >= 308 => 8,
        b if b >= 55 => 27,
        _ => 34,
    }
}

fn add_small<const N: usize>(x: &[u64; N], v: u64) -> [u64; N] {
    let mut out = *x;
    let mut carry = v;
    for limb in out.iter_mut() {
        let (s, c) = limb.overflowing_add(carry);
        *limb = s;
        carry = u64::from(c);
        if carry == 0 {
            break;
        }
    }
    out
}

fn to_bytes_be<const N: usize>(x: &[u64; N]) -> Vec<u8> {
    x.iter().rev().flat_map(|l| l.to_be_bytes()).collect()
}

fn less<const N: usize>(a: &[u64; N], b: &[u64; N]) -> bool {
    for i in (0..N).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

fn sub_assign<const N: usize>(a: &mut [u64; N], b: &[u64; N]) {
    let mut borrow = false;
    for i in 0..N {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        a[i] = d;
        borrow = b1 | b2;
    }
}

/// Arithmetic modulo an odd `m` of exactly `64 × N` bits in Montgomery form (`R = 2^(64N)`).
struct Montgomery<const N: usize> {
    m: [u64; N],
    /// `−m⁻¹ mod 2⁶⁴`.
    m_inv: u64,
    /// `R mod m`: 1 in Montgomery form.
    one: [u64; N],
    /// `m − (R mod m)`: −1 in Montgomery form.
    minus_one: [u64; N],
    /// `(m − 1) / 2^s` (odd) and `s`.
    d: [u64; N],
    s: u32,
}

impl<const N: usize> Montgomery<N> {
    fn new(m: &[u64; N]) -> Montgomery<N> {
        // Newton's iteration for m⁻¹ mod 2⁶⁴ (each step doubles the correct bits).
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv)));
        }
        // m > R/2, so R mod m = R − m (the two's complement of m).
        let mut one = [0u64; N];
        let mut carry = true;
        for i in 0..N {
            let (v, c) = (!m[i]).overflowing_add(u64::from(carry));
            one[i] = v;
            carry = c;
        }
        let mut minus_one = *m;
        sub_assign(&mut minus_one, &one);
        let mut d = *m;
        d[0] &= !1;
        let s = trailing_zeros(&d);
        shift_right(&mut d, s);
        Montgomery {
            m: *m,
            m_inv: inv.wrapping_neg(),
            one,
            minus_one,
            d,
            s,
        }
    }

    /// `a · b · R⁻¹ mod m` (coarsely integrated operand scanning).
    fn mul(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let m = &self.m;
        let mut t = [0u64; N];
        let mut top: u64 = 0;
        for &bi in b.iter() {
            let bi = u128::from(bi);
            let mut carry: u64 = 0;
            for j in 0..N {
                let s = u128::from(t[j]) + u128::from(a[j]) * bi + u128::from(carry);
                t[j] = s as u64;
                carry = (s >> 64) as u64;
            }
            let s = u128::from(top) + u128::from(carry);
            top = s as u64;
            let top_hi = (s >> 64) as u64;
            let q = u128::from(t[0].wrapping_mul(self.m_inv));
            let s = u128::from(t[0]) + q * u128::from(m[0]);
            let mut carry = (s >> 64) as u64;
            for j in 1..N {
                let s = u128::from(t[j]) + q * u128::from(m[j]) + u128::from(carry);
                t[j - 1] = s as u64;
                carry = (s >> 64) as u64;
            }
            let s = u128::from(top) + u128::from(carry);
            t[N - 1] = s as u64;
            top = top_hi + (s >> 64) as u64;
        }
        if top != 0 || !less(&t, m) {
            sub_assign(&mut t, m);
        }
        t
    }

    /// `a² · R⁻¹ mod m`: the double-width square (each cross product once, doubled), then a
    /// Montgomery reduction; about a quarter fewer multiplications than [`Self::mul`].
    fn square(&self, a: &[u64; N]) -> [u64; N] {
        let mut t = [0u64; 2 * MAX_LIMBS];
        for i in 0..N {
            let ai = u128::from(a[i]);
            let mut carry: u64 = 0;
            for j in i + 1..N {
                let s = u128::from(t[i + j]) + ai * u128::from(a[j]) + u128::from(carry);
                t[i + j] = s as u64;
                carry = (s >> 64) as u64;
            }
            t[i + N] = carry;
        }
        let mut shifted_out = 0u64;
        for limb in t.iter_mut().take(2 * N) {
            let v = *limb;
            *limb = (v << 1) | shifted_out;
            shifted_out = v >> 63;
        }
        let mut carry: u64 = 0;
        for i in 0..N {
            let sq = u128::from(a[i]) * u128::from(a[i]);
            let s = u128::from(t[2 * i]) + (sq & u128::from(u64::MAX)) + u128::from(carry);
            t[2 * i] = s as u64;
            let s = u128::from(t[2 * i + 1]) + (sq >> 64) + (s >> 64);
            t[2 * i + 1] = s as u64;
            carry = (s >> 64) as u64;
        }
        // Reduction: add q·m·2^(64i) to clear limb i; carries past limb i + N ride along.
        let m = &self.m;
        let mut overflow: u64 = 0;
        for i in 0..N {
            let q = u128::from(t[i].wrapping_mul(self.m_inv));
            let mut carry: u64 = 0;
            for j in 0..N {
                let s = u128::from(t[i + j]) + q * u128::from(m[j]) + u128::from(carry);
                t[i + j] = s as u64;
                carry = (s >> 64) as u64;
            }
            let s = u128::from(t[i + N]) + u128::from(carry) + u128::from(overflow);
            t[i + N] = s as u64;
            overflow = (s >> 64) as u64;
        }
        let mut out = [0u64; N];
        out.copy_from_slice(&t[N..2 * N]);
        if overflow != 0 || !less(&out, m) {
            sub_assign(&mut out, m);
        }
        out
    }

    /// `2a mod m`.
    fn double(&self, a: &mut [u64; N]) {
        let mut carry = 0u64;
        for limb in a.iter_mut() {
            let v = *limb;
            *limb = (v << 1) | carry;
            carry = v >> 63;
        }
        if carry != 0 || !less(a, &self.m) {
            sub_assign(a, &self.m);
        }
    }

    /// The Miller–Rabin end game from `x = b^d` (Montgomery form).
    fn finish(&self, mut x: [u64; N]) -> bool {
        if x == self.one || x == self.minus_one {
            return true;
        }
        for _ in 1..self.s {
            x = self.square(&x);
            if x == self.minus_one {
                return true;
            }
            if x == self.one {
                return false;
            }
        }
        false
    }

    /// One Miller–Rabin round to base 2: `2^d` by squaring and doubling.
    fn miller_rabin_base2(&self) -> bool {
        let mut x = self.one;
        let mut started = false;
        for i in (0..N).rev() {
            for bit in (0..64).rev() {
                if started {
                    x = self.square(&x);
                }
                if (self.d[i] >> bit) & 1 == 1 {
                    self.double(&mut x);
                    started = true;
                }
            }
        }
        self.finish(x)
    }

    /// A random Miller–Rabin base in `[2, m − 2]`.
    fn random_base(&self) -> Result<[u64; N], KeygenError> {
        loop {
            let mut b = random_limbs::<N>()?;
            // Below m: clear the top bit (m has its two top bits set).
            b[N - 1] &= u64::MAX >> 1;
            let two = add_small(&[0u64; N], 2);
            let mut m_minus_one = self.m;
            m_minus_one[0] &= !1;
            if !less(&b, &two) && less(&b, &m_minus_one) {
                return Ok(b);
            }
        }
    }

    /// One Miller–Rabin round to a random base in `[2, m − 2]`.
    #[cfg(test)]
    fn miller_rabin_random(&self) -> Result<bool, KeygenError> {
        Ok(self.miller_rabin_to(&self.random_base()?))
    }

    /// One Miller–Rabin round to `base` (`2 ≤ base ≤ m − 2`).
    fn miller_rabin_to(&self, base: &[u64; N]) -> bool {
        // Into Montgomery form: base · R mod m, by doubling `base` 64N times.
        let mut b = *base;
        for _ in 0..64 * N {
            self.double(&mut b);
        }
        let mut x = self.one;
        for i in (0..N).rev() {
            for bit in (0..64).rev() {
                x = self.square(&x);
                if (self.d[i] >> bit) & 1 == 1 {
                    x = self.mul(&x, &b);
                }
            }
        }
        self.finish(x)
    }
}

fn trailing_zeros<const N: usize>(x: &[u64; N]) -> u32 {
    let mut n = 0;
    for &limb in x {
        if limb == 0 {
            n += 64;
        } else {
            return n + limb.trailing_zeros();
        }
    }
    n
}

fn shift_right<const N: usize>(x: &mut [u64; N], s: u32) {
    let (words, bits) = ((s / 64) as usize, s % 64);
    for i in 0..N {
        let lo = x.get(i + words).copied().unwrap_or(0);
        let hi = x.get(i + words + 1).copied().unwrap_or(0);
        x[i] = if bits == 0 {
            lo
        } else {
            (lo >> bits) | (hi << (64 - bits))
        };
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, reason = "tests")]
    use num_bigint::BigUint;
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};

    use super::*;

    fn to_big<const N: usize>(x: &[u64; N]) -> BigUint {
        BigUint::from_bytes_be(&to_bytes_be(x))
    }

    fn limbs<const N: usize>(x: &BigUint) -> [u64; N] {
        let mut out = [0u64; N];
        for (o, d) in out.iter_mut().zip(x.to_u64_digits()) {
            *o = d;
        }
        out
    }

    #[test]
    fn a_key_pool_hands_out_distinct_prefetched_keys_then_runs_dry() {
        let pool: &'static KeyPool = Box::leak(Box::new(KeyPool::new()));
        assert!(pool.take().is_none(), "an idle pool has nothing");
        pool.start(2);
        let first = pool.take().expect("a first key");
        let second = pool.take().expect("a second key");
        assert!(pool.take().is_none(), "two keys were asked for");
        for key in [&first, &second] {
            assert_eq!(key.n().bits(), PREFETCH_BITS);
            key.validate().expect("valid key");
        }
        assert_ne!(first.n(), second.n());
    }

    #[test]
    fn montgomery_multiplication_matches_big_integers() {
        let m_limbs = {
            let mut m = random_limbs::<4>().expect("random");
            m[3] |= 0b11 << 62;
            m[0] |= 1;
            m
        };
        let mont = Montgomery::new(&m_limbs);
        let m = to_big(&m_limbs);
        let r: BigUint = BigUint::from(1u8) << 256usize;
        let r_inv = r.modinv(&m).expect("odd modulus");
        for _ in 0..50 {
            let a = to_big(&random_limbs::<4>().expect("random")) % &m;
            let b = to_big(&random_limbs::<4>().expect("random")) % &m;
            let got = to_big(&mont.mul(&limbs(&a), &limbs(&b)));
            assert_eq!(got, (&a * &b * &r_inv) % &m);
        }
        assert_eq!(to_big(&mont.one), &r % &m);
        for _ in 0..50 {
            let a = limbs::<4>(&(to_big(&random_limbs::<4>().expect("random")) % &m));
            assert_eq!(mont.square(&a), mont.mul(&a, &a));
        }
        let top = limbs::<4>(&(&m - 1u8));
        assert_eq!(mont.square(&top), mont.mul(&top, &top));
    }

    #[test]
    fn miller_rabin_tells_primes_from_composites() {
        // 2^128 − 159, the largest prime below 2^128 (two limbs, top bits set).
        let prime =
            BigUint::parse_bytes(b"340282366920938463463374607431768211297", 10).expect("number");
        let p: [u64; 2] = limbs(&prime);
        assert!(Montgomery::new(&p).miller_rabin_base2());
        for _ in 0..10 {
            assert!(Montgomery::new(&p).miller_rabin_random().expect("random"));
        }
        // The square of 2^64 − 59 (a prime) is composite.
        let factor = BigUint::from(18_446_744_073_709_551_557u64);
        let c: [u64; 2] = limbs(&(&factor * &factor));
        assert!(!Montgomery::new(&c).miller_rabin_base2());
        assert!(!Montgomery::new(&c).miller_rabin_random().expect("random"));
    }

    #[test]
    fn keys_have_go_shape() {
        for bits in [2048, 4096] {
            let key = generate(bits).expect("key");
            assert_eq!(key.n().bits(), bits);
            assert_eq!(key.e(), &rsa::BigUint::from(65537u32));
            let primes = key.primes();
            assert_eq!(primes.len(), 2);
            for p in primes {
                assert_eq!(p.bits(), bits / 2);
                // Top two bits set.
                assert!(p >> (bits / 2 - 2) == rsa::BigUint::from(3u8));
            }
            key.validate().expect("valid key");
            // d is e⁻¹ mod λ(n).
            let one = rsa::BigUint::from(1u8);
            let (p1, q1) = (&primes[0] - &one, &primes[1] - &one);
            let lambda = num_integer_lcm(&p1, &q1);
            assert_eq!((key.d() * key.e()) % &lambda, one);
            assert!(key.d() < &lambda);
        }
    }

    fn num_integer_lcm(a: &rsa::BigUint, b: &rsa::BigUint) -> rsa::BigUint {
        let (mut x, mut y) = (a.clone(), b.clone());
        while y != rsa::BigUint::from(0u8) {
            let t = &x % &y;
            x = y;
            y = t;
        }
        a / &x * b
    }
}
