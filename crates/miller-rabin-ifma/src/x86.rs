//! The AVX-512 IFMA arithmetic (x86-64 only). `N`: 64-bit limbs of a modulus; `L`: its 52-bit
//! limbs (`52·L ≥ 64·N + 4`, so `R = 2^(52·L) > 16m`); `V`: 512-bit registers holding them
//! (`8·V ≥ L`). Values in Montgomery form are below `4m` and normalized (every limb below
//! `2^52`, as the multiply-add instructions read only the low 52 bits of each lane).

use std::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_alignr_epi64, _mm512_and_si512, _mm512_cmpgt_epu64_mask,
    _mm512_loadu_si512, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64, _mm512_mask_add_epi64,
    _mm512_permutexvar_epi64, _mm512_set1_epi64, _mm512_setzero_si512, _mm512_srli_epi64,
    _mm512_storeu_si512,
};

use crate::{MASK_52, scalar};

/// Room for the 52-bit limbs of the largest modulus (2048 bits: 40 limbs in 5 registers).
const LANES_MAX: usize = 40;

/// 52-bit limbs, zero above the modulus's `L`.
type Limbs = [u64; LANES_MAX];

/// [`base2_pair_ifma`] after checking that the CPU has the instructions.
pub fn base2_pair<const N: usize, const V: usize, const L: usize>(
    candidates: [&[u64; N]; 2],
) -> [bool; 2] {
    assert!(crate::available(), "caller checks for AVX-512 IFMA");
    // SAFETY: the CPU has AVX-512F and AVX-512 IFMA (checked just above).
    unsafe { base2_pair_ifma::<N, V, L>(candidates) }
}

/// [`to_bases_ifma`] after checking that the CPU has the instructions.
pub fn to_bases<const N: usize, const V: usize, const L: usize, const C: usize>(
    candidate: &[u64; N],
    bases: [&[u64; N]; C],
) -> [bool; C] {
    assert!(crate::available(), "caller checks for AVX-512 IFMA");
    // SAFETY: the CPU has AVX-512F and AVX-512 IFMA (checked just above).
    unsafe { to_bases_ifma::<N, V, L, C>(candidate, bases) }
}

/// A candidate modulus prepared for Montgomery arithmetic with `R = 2^(52·L)`.
struct Modulus<const V: usize> {
    /// The modulus in registers.
    m: [__m512i; V],
    /// `−m⁻¹ mod 2^52` in every lane.
    k0: __m512i,
    /// The modulus's 52-bit limbs.
    m_limbs: Limbs,
    /// `R mod m` (1 in Montgomery form), canonical.
    one: Limbs,
    /// `m − (R mod m)` (−1 in Montgomery form), canonical.
    minus_one: Limbs,
    /// `(m − 1) / 2^s`, odd, as 64-bit limbs (zero above the modulus's `N`).
    d: [u64; 32],
    /// Bits of `d`.
    d_bits: usize,
    /// `s`.
    s: u32,
}

fn limbs_52(x: &[u64], count: usize) -> Limbs {
    let mut out = [0u64; LANES_MAX];
    for (o, l) in out.iter_mut().zip(scalar::to_52(x, count)) {
        *o = l;
    }
    out
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn load<const V: usize>(x: &Limbs) -> [__m512i; V] {
    const { assert!(8 * V <= LANES_MAX) };
    let mut out = [_mm512_setzero_si512(); V];
    for (v, register) in out.iter_mut().enumerate() {
        // SAFETY: lanes 8v..8v+8 lie within the LANES_MAX limbs (8·V ≤ LANES_MAX).
        *register = unsafe { _mm512_loadu_si512(x.as_ptr().add(8 * v).cast()) };
    }
    out
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn store<const V: usize>(x: &[__m512i; V], out: &mut Limbs) {
    const { assert!(8 * V <= LANES_MAX) };
    for (v, register) in x.iter().enumerate() {
        // SAFETY: lanes 8v..8v+8 lie within the LANES_MAX limbs (8·V ≤ LANES_MAX).
        unsafe { _mm512_storeu_si512(out.as_mut_ptr().add(8 * v).cast(), *register) };
    }
}

impl<const V: usize> Modulus<V> {
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn new<const N: usize, const L: usize>(m: &[u64; N]) -> Modulus<V> {
        const {
            assert!(L <= 8 * V && 52 * L >= 64 * N + 4 && N <= 32);
        };
        let m_limbs = limbs_52(m, L);
        // R mod m: 2^(64N) mod m, doubled up to 2^(52L).
        let mut one = scalar::radix_power_mod(m);
        for _ in 0..52 * L - 64 * N {
            scalar::double_mod(&mut one, m);
        }
        let mut minus_one = m.to_vec();
        scalar::sub_assign(&mut minus_one, &one);
        let mut d = [0u64; 32];
        d[..N].copy_from_slice(m);
        d[0] &= !1;
        let s = trailing_zeros(&d[..N]);
        shift_right(&mut d[..N], s);
        let d_bits = bit_length(&d[..N]);
        Modulus {
            m: load(&m_limbs),
            k0: _mm512_set1_epi64((scalar::neg_inverse(m[0]) & MASK_52) as i64),
            m_limbs,
            one: limbs_52(&one, L),
            minus_one: limbs_52(&minus_one, L),
            d,
            d_bits,
            s,
        }
    }

    fn d_bit(&self, bit: usize) -> bool {
        (self.d[bit / 64] >> (bit % 64)) & 1 == 1
    }

    /// `x mod m` for a normalized `x < 4m`.
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn canonical(&self, x: &[__m512i; V]) -> Limbs {
        let mut out = [0u64; LANES_MAX];
        store(x, &mut out);
        while !less_52(&out, &self.m_limbs) {
            sub_52(&mut out, &self.m_limbs);
        }
        out
    }
}

fn trailing_zeros(x: &[u64]) -> u32 {
    let mut n = 0;
    for &limb in x {
        if limb != 0 {
            return n + limb.trailing_zeros();
        }
        n += 64;
    }
    n
}

fn shift_right(x: &mut [u64], s: u32) {
    let (words, bits) = ((s / 64) as usize, s % 64);
    for i in 0..x.len() {
        let low = x.get(i + words).copied().unwrap_or(0);
        let high = x.get(i + words + 1).copied().unwrap_or(0);
        x[i] = if bits == 0 {
            low
        } else {
            (low >> bits) | (high << (64 - bits))
        };
    }
}

fn bit_length(x: &[u64]) -> usize {
    for i in (0..x.len()).rev() {
        if x[i] != 0 {
            return 64 * i + 64 - x[i].leading_zeros() as usize;
        }
    }
    0
}

/// `a < b` on normalized 52-bit limbs.
fn less_52(a: &Limbs, b: &Limbs) -> bool {
    for i in (0..LANES_MAX).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// `a −= b` on normalized 52-bit limbs, `a ≥ b`.
fn sub_52(a: &mut Limbs, b: &Limbs) {
    let mut borrow = 0u64;
    for i in 0..LANES_MAX {
        let d = a[i].wrapping_sub(b[i]).wrapping_sub(borrow);
        borrow = d >> 63;
        a[i] = d & MASK_52;
    }
}

/// Carries every lane's bits above 52 into the next lane until all are below `2^52` (one or
/// two passes but for astronomically rare runs of full limbs). The value must fit the lanes.
#[target_feature(enable = "avx512f,avx512ifma")]
fn normalize<const V: usize>(t: &mut [__m512i; V]) {
    let zero = _mm512_setzero_si512();
    let mask = _mm512_set1_epi64(MASK_52 as i64);
    loop {
        let mut carries = [zero; V];
        for v in 0..V {
            carries[v] = _mm512_srli_epi64::<52>(t[v]);
            t[v] = _mm512_and_si512(t[v], mask);
        }
        // Each lane's carry moves up one lane: lane 7 of a register into lane 0 of the next.
        for v in (1..V).rev() {
            t[v] = _mm512_add_epi64(t[v], _mm512_alignr_epi64::<7>(carries[v], carries[v - 1]));
        }
        t[0] = _mm512_add_epi64(t[0], _mm512_alignr_epi64::<7>(carries[0], zero));
        let mut over = 0;
        for register in t.iter() {
            over |= _mm512_cmpgt_epu64_mask(*register, mask);
        }
        if over == 0 {
            return;
        }
    }
}

/// `2x`, normalized (below `4m` when `x` is below `2m`).
#[target_feature(enable = "avx512f,avx512ifma")]
fn double<const V: usize>(x: &mut [__m512i; V]) {
    for register in x.iter_mut() {
        *register = _mm512_add_epi64(*register, *register);
    }
    normalize(x);
}

/// Almost Montgomery multiplication `a·b·R⁻¹ (mod m)` of `C` independent triples at once,
/// interleaved so that each one's chain of dependent multiply-adds overlaps the others'.
/// Inputs below `4m`, normalized (`b` as limbs in memory, read one at a time); results below
/// `2m`, normalized.
#[target_feature(enable = "avx512f,avx512ifma")]
#[allow(
    clippy::needless_range_loop,
    reason = "limb i of b and register v of several parallel arrays read clearest by index"
)]
fn multiply<const V: usize, const L: usize, const C: usize>(
    moduli: [&Modulus<V>; C],
    a: [&[__m512i; V]; C],
    b: [&Limbs; C],
) -> [[__m512i; V]; C] {
    let zero = _mm512_setzero_si512();
    let mut t = [[zero; V]; C];
    for i in 0..L {
        for c in 0..C {
            let (m, a, t) = (moduli[c], a[c], &mut t[c]);
            let b_i = _mm512_set1_epi64(b[c][i] as i64);
            for v in 0..V {
                t[v] = _mm512_madd52lo_epu64(t[v], a[v], b_i);
            }
            // y = t₀·k₀ mod 2^52 makes t + y·m divisible by 2^52.
            let y = _mm512_madd52lo_epu64(zero, t[0], m.k0);
            let y = _mm512_permutexvar_epi64(zero, y);
            for v in 0..V {
                t[v] = _mm512_madd52lo_epu64(t[v], m.m[v], y);
            }
            // Divide by 2^52: drop lane 0, keeping its carry.
            let carry = _mm512_srli_epi64::<52>(t[0]);
            for v in 0..V - 1 {
                t[v] = _mm512_alignr_epi64::<1>(t[v + 1], t[v]);
            }
            t[V - 1] = _mm512_alignr_epi64::<1>(zero, t[V - 1]);
            t[0] = _mm512_mask_add_epi64(t[0], 1, t[0], carry);
            // The high halves of the products belong one lane up: after the shift, in place.
            for v in 0..V {
                t[v] = _mm512_madd52hi_epu64(t[v], a[v], b_i);
            }
            for v in 0..V {
                t[v] = _mm512_madd52hi_epu64(t[v], m.m[v], y);
            }
        }
    }
    for register in t.iter_mut() {
        normalize(register);
    }
    t
}

/// The end of a Miller–Rabin round from `x = base^d` (Montgomery form).
#[target_feature(enable = "avx512f,avx512ifma")]
fn finish<const V: usize, const L: usize>(m: &Modulus<V>, x: [__m512i; V]) -> bool {
    let mut x = x;
    let canonical = m.canonical(&x);
    if canonical == m.one || canonical == m.minus_one {
        return true;
    }
    let mut limbs = [0u64; LANES_MAX];
    for _ in 1..m.s {
        store(&x, &mut limbs);
        let [squared] = multiply::<V, L, 1>([m], [&x], [&limbs]);
        x = squared;
        let canonical = m.canonical(&x);
        if canonical == m.minus_one {
            return true;
        }
        if canonical == m.one {
            return false;
        }
    }
    false
}

/// Miller–Rabin to base 2 of two candidates: `2^d` by squaring and doubling, both candidates'
/// squarings interleaved.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn base2_pair_ifma<const N: usize, const V: usize, const L: usize>(
    candidates: [&[u64; N]; 2],
) -> [bool; 2] {
    let moduli = [
        Modulus::<V>::new::<N, L>(candidates[0]),
        Modulus::<V>::new::<N, L>(candidates[1]),
    ];
    let mut x = [load::<V>(&moduli[0].one), load::<V>(&moduli[1].one)];
    let mut limbs = [[0u64; LANES_MAX]; 2];
    // The shorter exponent's leading zeros square 1, which stays 1.
    let bits = moduli[0].d_bits.max(moduli[1].d_bits);
    for bit in (0..bits).rev() {
        store(&x[0], &mut limbs[0]);
        store(&x[1], &mut limbs[1]);
        x = multiply::<V, L, 2>(
            [&moduli[0], &moduli[1]],
            [&x[0], &x[1]],
            [&limbs[0], &limbs[1]],
        );
        for c in 0..2 {
            if moduli[c].d_bit(bit) {
                double(&mut x[c]);
            }
        }
    }
    [
        finish::<V, L>(&moduli[0], x[0]),
        finish::<V, L>(&moduli[1], x[1]),
    ]
}

/// `base·R mod m` as 52-bit limbs (`base < m`), by doubling.
fn montgomery_form<const N: usize, const L: usize>(base: &[u64; N], m: &[u64; N]) -> Limbs {
    let mut x = base.to_vec();
    for _ in 0..52 * L {
        scalar::double_mod(&mut x, m);
    }
    limbs_52(&x, L)
}

/// Miller–Rabin rounds of one candidate to `C` bases (`2 ≤ base ≤ m − 2`), interleaved.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn to_bases_ifma<const N: usize, const V: usize, const L: usize, const C: usize>(
    candidate: &[u64; N],
    bases: [&[u64; N]; C],
) -> [bool; C] {
    let m = Modulus::<V>::new::<N, L>(candidate);
    let mut base_limbs = [[0u64; LANES_MAX]; C];
    for c in 0..C {
        base_limbs[c] = montgomery_form::<N, L>(bases[c], candidate);
    }
    let moduli = [&m; C];
    let mut x = [load::<V>(&m.one); C];
    let mut limbs = [[0u64; LANES_MAX]; C];
    for bit in (0..m.d_bits).rev() {
        for c in 0..C {
            store(&x[c], &mut limbs[c]);
        }
        x = multiply::<V, L, C>(moduli, refs(&x), refs(&limbs));
        if m.d_bit(bit) {
            x = multiply::<V, L, C>(moduli, refs(&x), refs(&base_limbs));
        }
    }
    let mut passed = [false; C];
    for c in 0..C {
        passed[c] = finish::<V, L>(&m, x[c]);
    }
    passed
}

/// References to each element.
fn refs<T, const C: usize>(items: &[T; C]) -> [&T; C] {
    items.each_ref()
}
