//! The subset of github.com/shopspring/decimal v1.4.0 that Sprig's float functions
//! (`addf`, `subf`, `mulf`, `divf`, `add1f`) use: `NewFromFloat` (shortest decimal that
//! round-trips), exact `Add`/`Sub`/`Mul`, `Div` rounded half away from zero to 16 fractional
//! digits, and `Float64` (nearest float64).

use num_bigint::BigInt;
use num_traits::{Signed, Zero};

/// An arbitrary-precision decimal `value × 10^exp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    value: BigInt,
    exp: i64,
}

/// Why a decimal operation failed, with shopspring's panic text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// `NewFromFloat` of NaN or an infinity (`Cannot create a Decimal from +Inf`).
    #[error("Cannot create a Decimal from {0}")]
    NotFinite(String),
    /// Division by zero.
    #[error("decimal division by 0")]
    DivisionByZero,
}

/// shopspring's `DivisionPrecision`.
const DIVISION_PRECISION: i64 = 16;

fn pow10(n: u64) -> BigInt {
    num_traits::pow(BigInt::from(10u8), n as usize)
}

impl Decimal {
    /// `decimal.NewFromFloat`: the shortest decimal that converts back to `f`.
    pub fn from_f64(f: f64) -> Result<Decimal, DecimalError> {
        if !f.is_finite() {
            let text = if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            return Err(DecimalError::NotFinite(text.to_string()));
        }
        if f == 0.0 {
            return Ok(Decimal {
                value: BigInt::zero(),
                exp: 0,
            });
        }
        // Rust's `{:e}` prints the shortest round-trip digits, e.g. `-1.25e-3`.
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i64 = exp.parse().unwrap_or(0);
        let (int_part, frac) = mant.split_once('.').unwrap_or((mant, ""));
        let digits = format!("{int_part}{frac}");
        let value: BigInt = digits.parse().unwrap_or_default();
        Ok(Decimal {
            value,
            exp: exp - frac.len() as i64,
        })
    }

    fn rescale(&self, exp: i64) -> BigInt {
        if exp >= self.exp {
            // Only called with exp <= self.exp.
            return self.value.clone();
        }
        &self.value * pow10((self.exp - exp) as u64)
    }

    /// Exact sum.
    pub fn add(&self, o: &Decimal) -> Decimal {
        let exp = self.exp.min(o.exp);
        Decimal {
            value: self.rescale(exp) + o.rescale(exp),
            exp,
        }
    }

    /// Exact difference.
    pub fn sub(&self, o: &Decimal) -> Decimal {
        let exp = self.exp.min(o.exp);
        Decimal {
            value: self.rescale(exp) - o.rescale(exp),
            exp,
        }
    }

    /// Exact product.
    pub fn mul(&self, o: &Decimal) -> Decimal {
        Decimal {
            value: &self.value * &o.value,
            exp: self.exp + o.exp,
        }
    }

    fn cmp_abs_value(&self, o: &Decimal) -> std::cmp::Ordering {
        let exp = self.exp.min(o.exp);
        self.rescale(exp).cmp(&o.rescale(exp))
    }

    /// `Div`: `DivRound(o, 16)`, the quotient rounded half away from zero to 16 digits.
    pub fn div(&self, o: &Decimal) -> Result<Decimal, DecimalError> {
        if o.value.is_zero() {
            return Err(DecimalError::DivisionByZero);
        }
        let precision = DIVISION_PRECISION;
        let scale = -precision;
        let e = self.exp - o.exp - scale;
        let (aa, bb, scalerest) = if e < 0 {
            (self.value.clone(), &o.value * pow10((-e) as u64), self.exp)
        } else {
            (
                &self.value * pow10(e as u64),
                o.value.clone(),
                scale + o.exp,
            )
        };
        let q = &aa / &bb;
        let r = &aa - &q * &bb;
        let q = Decimal {
            value: q,
            exp: scale,
        };
        let r2 = Decimal {
            value: r.abs() * 2,
            exp: scalerest + precision,
        };
        let d2_abs = Decimal {
            value: o.value.abs(),
            exp: o.exp,
        };
        if r2.cmp_abs_value(&d2_abs) == std::cmp::Ordering::Less {
            return Ok(q);
        }
        let unit = Decimal {
            value: BigInt::from(1),
            exp: -precision,
        };
        if self.value.sign() != o.value.sign() && !self.value.is_zero() {
            Ok(q.sub(&unit))
        } else {
            Ok(q.add(&unit))
        }
    }

    /// `Float64`: the nearest float64 (±Inf beyond the range).
    pub fn to_f64(&self) -> f64 {
        format!("{}e{}", self.value, self.exp)
            .parse()
            .unwrap_or(f64::NAN)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed expectation is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn shortest_digits_and_exact_sum() {
        let a = Decimal::from_f64(0.1).unwrap();
        let b = Decimal::from_f64(0.2).unwrap();
        assert_eq!(a.add(&b).to_f64(), 0.3);
    }

    #[test]
    fn division_rounds_to_sixteen_digits() {
        let one = Decimal::from_f64(1.0).unwrap();
        let three = Decimal::from_f64(3.0).unwrap();
        assert_eq!(one.div(&three).unwrap().to_f64(), 0.3333333333333333);
        let two = Decimal::from_f64(2.0).unwrap();
        assert_eq!(two.div(&three).unwrap().to_f64(), 0.6666666666666667);
        assert!(one.div(&Decimal::from_f64(0.0).unwrap()).is_err());
    }
}
