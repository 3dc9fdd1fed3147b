//! Miller–Rabin probable-prime tests of odd 1024- and 2048-bit numbers in Montgomery
//! arithmetic on AVX-512 IFMA, for Wheelhouse's RSA key generation (Sprig's `genCA` and
//! friends), where these tests are nearly all of the time.
//!
//! Numbers are held in 52-bit limbs, eight to a 512-bit register, and multiplied with
//! `vpmadd52luq`/`vpmadd52huq` (the word-serial "almost Montgomery multiplication" of Gueron
//! and Krasnov, "Accelerating Big Integer Arithmetic Using Intel IFMA Extensions", 2016):
//! `R = 2^(52·L)` with `L` = 20 limbs for 1024-bit moduli and 40 for 2048-bit ones, and results
//! are kept below `2m` rather than reduced fully (`R > 16m`, so inputs below `4m` stay valid).
//! Two candidates are tested at once ([`miller_rabin_base2_pair`]) so that one's dependent
//! chain of multiply-adds fills the other's latency.
//!
//! Every function returns `None` when the CPU lacks AVX-512F or AVX-512 IFMA (checked at run
//! time, once), or when the size is not one of the two above; the caller then uses its
//! portable arithmetic. Moduli must be odd with their top bit set.

#[cfg(target_arch = "x86_64")]
mod x86;

/// Whether this CPU runs the IFMA code (AVX-512F and AVX-512 IFMA), detected once.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static AVAILABLE: OnceLock<bool> = OnceLock::new();
        *AVAILABLE.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512ifma")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Miller–Rabin to base 2 of two candidates at once (each an odd number of `64·N` bits with
/// its top bit set, little-endian 64-bit limbs): whether each is a strong probable prime to
/// base 2. `None` without IFMA, for `N` other than 16 and 32, or for an even modulus or one
/// whose top bit is clear.
pub fn miller_rabin_base2_pair<const N: usize>(candidates: [&[u64; N]; 2]) -> Option<[bool; 2]> {
    if !available() || !candidates.iter().all(|m| well_formed(&m[..])) {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    {
        match N {
            16 => Some(x86::base2_pair::<16, 3, 20>(
                resized::<N, 16, 2>(candidates)?.each_ref(),
            )),
            32 => Some(x86::base2_pair::<32, 5, 40>(
                resized::<N, 32, 2>(candidates)?.each_ref(),
            )),
            _ => None,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

/// One Miller–Rabin round of `candidate` (as for [`miller_rabin_base2_pair`]) to `base`,
/// which must lie in `[2, candidate − 2]`: whether the candidate is a strong probable prime
/// to that base. `None` as for [`miller_rabin_base2_pair`], or when `base` is out of range.
pub fn miller_rabin<const N: usize>(candidate: &[u64; N], base: &[u64; N]) -> Option<bool> {
    miller_rabin_to_bases(candidate, [base]).map(|[passed]| passed)
}

/// Two Miller–Rabin rounds of `candidate` at once, to two bases (each as for
/// [`miller_rabin`]): whether it is a strong probable prime to each.
pub fn miller_rabin_pair<const N: usize>(
    candidate: &[u64; N],
    bases: [&[u64; N]; 2],
) -> Option<[bool; 2]> {
    miller_rabin_to_bases(candidate, bases)
}

fn miller_rabin_to_bases<const N: usize, const C: usize>(
    candidate: &[u64; N],
    bases: [&[u64; N]; C],
) -> Option<[bool; C]> {
    if !available()
        || !well_formed(&candidate[..])
        || !bases
            .iter()
            .all(|base| base_in_range(&candidate[..], &base[..]))
    {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    {
        match N {
            16 => {
                let [candidate] = resized::<N, 16, 1>([candidate])?;
                let bases = resized::<N, 16, C>(bases)?;
                Some(x86::to_bases::<16, 3, 20, C>(&candidate, bases.each_ref()))
            }
            32 => {
                let [candidate] = resized::<N, 32, 1>([candidate])?;
                let bases = resized::<N, 32, C>(bases)?;
                Some(x86::to_bases::<32, 5, 40, C>(&candidate, bases.each_ref()))
            }
            _ => None,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

/// Each of `xs` as an array of exactly `M` limbs (`None` unless `N == M`): the IFMA code is
/// compiled per size.
#[cfg_attr(
    not(target_arch = "x86_64"),
    allow(dead_code, reason = "used by the x86-64 code only")
)]
fn resized<const N: usize, const M: usize, const C: usize>(
    xs: [&[u64; N]; C],
) -> Option<[[u64; M]; C]> {
    let mut out = [[0u64; M]; C];
    for (to, from) in out.iter_mut().zip(xs) {
        *to = from[..].try_into().ok()?;
    }
    Some(out)
}

/// Odd, top bit set.
fn well_formed(m: &[u64]) -> bool {
    matches!((m.first(), m.last()), (Some(low), Some(high)) if low & 1 == 1 && high >> 63 == 1)
}

/// `2 ≤ base ≤ m − 2`.
fn base_in_range(m: &[u64], base: &[u64]) -> bool {
    let two_or_more = base[1..].iter().any(|&l| l != 0) || base[0] >= 2;
    // base ≤ m − 2 ⇔ base + 2 ≤ m ⇔ base + 1 < m.
    let mut plus_one = base.to_vec();
    for limb in plus_one.iter_mut() {
        let (v, carry) = limb.overflowing_add(1);
        *limb = v;
        if !carry {
            break;
        }
    }
    two_or_more && scalar::less(&plus_one, m)
}

/// Portable helpers on little-endian 64-bit limbs, for setting up and reading back.
#[cfg_attr(
    not(target_arch = "x86_64"),
    allow(dead_code, reason = "used by the x86-64 code only")
)]
mod scalar {
    /// `a < b` (same length).
    pub fn less(a: &[u64], b: &[u64]) -> bool {
        for i in (0..a.len()).rev() {
            if a[i] != b[i] {
                return a[i] < b[i];
            }
        }
        false
    }

    /// `a −= b` (same length), returning the borrow out.
    pub fn sub_assign(a: &mut [u64], b: &[u64]) -> bool {
        let mut borrow = false;
        for i in 0..a.len() {
            let (d, b1) = a[i].overflowing_sub(b[i]);
            let (d, b2) = d.overflowing_sub(u64::from(borrow));
            a[i] = d;
            borrow = b1 | b2;
        }
        borrow
    }

    /// `x = 2x mod m` for `x < m`.
    pub fn double_mod(x: &mut [u64], m: &[u64]) {
        let mut carry = 0u64;
        for limb in x.iter_mut() {
            let v = *limb;
            *limb = (v << 1) | carry;
            carry = v >> 63;
        }
        if carry != 0 || !less(x, m) {
            sub_assign(x, m);
        }
    }

    /// `2^(64·len) mod m` for `m` with its top bit set: `2^(64·len) − m`.
    pub fn radix_power_mod(m: &[u64]) -> Vec<u64> {
        let mut r = vec![0u64; m.len()];
        sub_assign(&mut r, m);
        r
    }

    /// `−m⁻¹ mod 2⁶⁴` for odd `m0` (Newton's iteration doubles the correct bits each step).
    pub fn neg_inverse(m0: u64) -> u64 {
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m0.wrapping_mul(inv)));
        }
        inv.wrapping_neg()
    }

    /// The 52-bit limbs of `x` (little-endian), `count` of them.
    pub fn to_52(x: &[u64], count: usize) -> Vec<u64> {
        (0..count)
            .map(|j| {
                let bit = 52 * j;
                let (word, shift) = (bit / 64, bit % 64);
                let low = x.get(word).copied().unwrap_or(0) >> shift;
                let high = if shift > 12 {
                    x.get(word + 1).copied().unwrap_or(0) << (64 - shift)
                } else {
                    0
                };
                (low | high) & super::MASK_52
            })
            .collect()
    }
}

/// The low 52 bits.
#[cfg_attr(
    not(target_arch = "x86_64"),
    allow(dead_code, reason = "used by the x86-64 code only")
)]
const MASK_52: u64 = (1 << 52) - 1;

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::unwrap_used, reason = "tests")]
    use num_bigint::BigUint;

    use super::*;

    /// xorshift64*: deterministic test numbers without a dependency.
    struct Numbers(u64);

    impl Numbers {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn odd_top<const N: usize>(&mut self) -> [u64; N] {
            let mut x = [0u64; N];
            for limb in x.iter_mut() {
                *limb = self.next();
            }
            x[0] |= 1;
            x[N - 1] |= 1 << 63;
            x
        }
    }

    fn big(x: &[u64]) -> BigUint {
        let bytes: Vec<u8> = x.iter().flat_map(|l| l.to_le_bytes()).collect();
        BigUint::from_bytes_le(&bytes)
    }

    fn limbs<const N: usize>(x: &BigUint) -> [u64; N] {
        let mut out = [0u64; N];
        for (o, d) in out.iter_mut().zip(x.to_u64_digits()) {
            *o = d;
        }
        out
    }

    /// Miller–Rabin by big-integer arithmetic, the reference.
    fn reference(m: &BigUint, base: &BigUint) -> bool {
        let one = BigUint::from(1u8);
        let m1 = m - &one;
        let s = m1.trailing_zeros().expect("m > 1");
        let d = &m1 >> s;
        let mut x = base.modpow(&d, m);
        if x == one || x == m1 {
            return true;
        }
        for _ in 1..s {
            x = x.modpow(&BigUint::from(2u8), m);
            if x == m1 {
                return true;
            }
            if x == one {
                return false;
            }
        }
        false
    }

    fn check_size<const N: usize>(numbers: &mut Numbers, rounds: usize) {
        let two = BigUint::from(2u8);
        for _ in 0..rounds {
            let a = numbers.odd_top::<N>();
            let b = numbers.odd_top::<N>();
            let got = miller_rabin_base2_pair([&a, &b]).expect("IFMA");
            let want = [reference(&big(&a), &two), reference(&big(&b), &two)];
            assert_eq!(got, want, "{a:x?} {b:x?}");
        }
        // Primes: found with the test under test, each confirmed by the reference, then
        // tested beside a composite and to a random base.
        for _ in 0..2 {
            let p = a_prime::<N>(numbers);
            assert!(reference(&big(&p), &two));
            let c = numbers.odd_top::<N>();
            assert_eq!(
                miller_rabin_base2_pair([&c, &p]),
                Some([reference(&big(&c), &two), true])
            );
            let base = big(&numbers.odd_top::<N>()) % (big(&p) - 3u8) + 2u8;
            assert_eq!(miller_rabin(&p, &limbs::<N>(&base)), Some(true));
        }
        // Two bases at once, on primes and composites.
        let p = a_prime::<N>(numbers);
        for m in [p, numbers.odd_top::<N>()] {
            let b1 = big(&numbers.odd_top::<N>()) % (big(&m) - 3u8) + 2u8;
            let b2 = big(&numbers.odd_top::<N>()) % (big(&m) - 3u8) + 2u8;
            assert_eq!(
                miller_rabin_pair(&m, [&limbs::<N>(&b1), &limbs::<N>(&b2)]),
                Some([reference(&big(&m), &b1), reference(&big(&m), &b2)])
            );
        }
        // Random bases on composites.
        for _ in 0..rounds {
            let m = numbers.odd_top::<N>();
            let base = big(&numbers.odd_top::<N>()) % (big(&m) - 3u8) + 2u8;
            let got = miller_rabin(&m, &limbs::<N>(&base)).expect("IFMA");
            assert_eq!(got, reference(&big(&m), &base));
        }
    }

    /// A strong probable prime to base 2 of `64·N` bits, found with the function under test
    /// (the caller confirms it with the reference).
    fn a_prime<const N: usize>(numbers: &mut Numbers) -> [u64; N] {
        loop {
            let a = numbers.odd_top::<N>();
            let b = numbers.odd_top::<N>();
            match miller_rabin_base2_pair([&a, &b]).expect("IFMA") {
                [true, _] => return a,
                [_, true] => return b,
                _ => {}
            }
        }
    }

    #[test]
    fn agrees_with_big_integer_miller_rabin() {
        if !available() {
            eprintln!("no AVX-512 IFMA on this CPU: nothing to test");
            return;
        }
        let mut numbers = Numbers(0x9E37_79B9_7F4A_7C15);
        check_size::<16>(&mut numbers, 40);
        check_size::<32>(&mut numbers, 8);
    }

    /// A strong probable prime to base 2 found with the reference alone (any size).
    fn a_reference_prime<const N: usize>(numbers: &mut Numbers) -> [u64; N] {
        loop {
            let m = numbers.odd_top::<N>();
            if reference(&big(&m), &BigUint::from(2u8)) {
                return m;
            }
        }
    }

    #[test]
    fn a_product_of_two_primes_fails_beside_a_prime() {
        if !available() {
            return;
        }
        let mut numbers = Numbers(7);
        let p = a_prime::<16>(&mut numbers);
        loop {
            let q = a_reference_prime::<8>(&mut numbers);
            let r = a_reference_prime::<8>(&mut numbers);
            let n = limbs::<16>(&(big(&q) * big(&r)));
            if n[15] >> 63 == 1 {
                assert_eq!(miller_rabin_base2_pair([&n, &p]), Some([false, true]));
                assert_eq!(miller_rabin_base2_pair([&p, &n]), Some([true, false]));
                return;
            }
        }
    }

    #[test]
    fn rejects_what_it_cannot_test() {
        let even = [2u64; 16];
        let mut low_top = [1u64; 16];
        low_top[15] = 1;
        assert_eq!(miller_rabin_base2_pair([&even, &even]), None);
        assert_eq!(miller_rabin_base2_pair([&low_top, &low_top]), None);
        let odd = [u64::MAX; 4];
        assert_eq!(
            miller_rabin_base2_pair([&odd, &odd]),
            None,
            "only 16 and 32 limbs"
        );
        let m = [u64::MAX; 16];
        let mut too_big = m;
        too_big[0] -= 1; // m − 1
        assert_eq!(miller_rabin(&m, &too_big), None);
        assert_eq!(miller_rabin(&m, &[1u64; 16].map(|_| 0)), None);
    }
}
