//! Arithmetic (Sprig `functions.go`, `numeric.go`): integer math on `int64` after
//! spf13/cast `ToInt64` (`add`, `add1`, `sub`, `mul`, `div`, `mod`, `max`/`biggest`, `min`),
//! float math through shopspring decimals (`addf`, `add1f`, `subf`, `mulf`, `divf`), and
//! `maxf`, `minf`, `floor`, `ceil`, `round` on `float64`.
//!
//! Integer overflow wraps as in Go; integer division by zero fails with Go's runtime panic
//! text.

use super::conversions::{to_float64, to_int64};
use super::decimal::Decimal;
use super::{ANY, INT, int64, pure};
use crate::template::error::FuncError;
use crate::template::funcs::{FuncMap, ParamType, Signature};
use crate::template::value::Value;

const DIV_ZERO: &str = "runtime error: integer divide by zero";

pub(crate) fn register(funcs: &mut FuncMap) {
    pure(funcs, "add1", Signature::new([ANY]), |a| {
        Ok(int64(to_int64(&a[0]).wrapping_add(1)))
    });
    pure(funcs, "add", Signature::new([]).variadic(ANY), |a| {
        Ok(int64(
            a.iter().fold(0i64, |s, v| s.wrapping_add(to_int64(v))),
        ))
    });
    pure(funcs, "sub", Signature::new([ANY, ANY]), |a| {
        Ok(int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
    });
    pure(funcs, "div", Signature::new([ANY, ANY]), |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(FuncError::new(DIV_ZERO));
        }
        Ok(int64(to_int64(&a[0]).wrapping_div(d)))
    });
    pure(funcs, "mod", Signature::new([ANY, ANY]), |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(FuncError::new(DIV_ZERO));
        }
        Ok(int64(to_int64(&a[0]).wrapping_rem(d)))
    });
    pure(funcs, "mul", Signature::new([ANY]).variadic(ANY), |a| {
        let first = to_int64(&a[0]);
        Ok(int64(
            a[1..]
                .iter()
                .fold(first, |s, v| s.wrapping_mul(to_int64(v))),
        ))
    });
    for name in ["max", "biggest"] {
        pure(funcs, name, Signature::new([ANY]).variadic(ANY), |a| {
            let first = to_int64(&a[0]);
            Ok(int64(a[1..].iter().map(to_int64).fold(first, i64::max)))
        });
    }
    pure(funcs, "min", Signature::new([ANY]).variadic(ANY), |a| {
        let first = to_int64(&a[0]);
        Ok(int64(a[1..].iter().map(to_int64).fold(first, i64::min)))
    });
    pure(funcs, "maxf", Signature::new([ANY]).variadic(ANY), |a| {
        let first = to_float64(&a[0]);
        Ok(Value::Float(
            a[1..].iter().map(to_float64).fold(first, go_max),
        ))
    });
    pure(funcs, "minf", Signature::new([ANY]).variadic(ANY), |a| {
        let first = to_float64(&a[0]);
        Ok(Value::Float(
            a[1..].iter().map(to_float64).fold(first, go_min),
        ))
    });
    pure(funcs, "floor", Signature::new([ANY]), |a| {
        Ok(Value::Float(to_float64(&a[0]).floor()))
    });
    pure(funcs, "ceil", Signature::new([ANY]), |a| {
        Ok(Value::Float(to_float64(&a[0]).ceil()))
    });
    pure(
        funcs,
        "round",
        Signature::new([ANY, INT]).variadic(ParamType::Float64),
        |a| {
            let round_on = match a.get(2) {
                Some(Value::Float(f)) => *f,
                _ => 0.5,
            };
            Ok(Value::Float(round(
                to_float64(&a[0]),
                super::arg_int(&a, 1) as f64,
                round_on,
            )))
        },
    );
    pure(funcs, "add1f", Signature::new([ANY]), |a| {
        decimal_op(&a[0], &[Value::int(1)], |x, y| Ok(x.add(y)))
    });
    pure(funcs, "addf", Signature::new([]).variadic(ANY), |a| {
        decimal_op(&Value::Float(0.0), &a, |x, y| Ok(x.add(y)))
    });
    pure(funcs, "subf", Signature::new([ANY]).variadic(ANY), |a| {
        decimal_op(&a[0], &a[1..], |x, y| Ok(x.sub(y)))
    });
    pure(funcs, "mulf", Signature::new([ANY]).variadic(ANY), |a| {
        decimal_op(&a[0], &a[1..], |x, y| Ok(x.mul(y)))
    });
    pure(funcs, "divf", Signature::new([ANY]).variadic(ANY), |a| {
        decimal_op(&a[0], &a[1..], |x, y| x.div(y))
    });
}

/// Go's `math.Max` (NaN wins; +0 beats -0).
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_infinite() && a > 0.0 || b.is_infinite() && b > 0.0 {
        return f64::INFINITY;
    }
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && a == b {
        return if a.is_sign_negative() { b } else { a };
    }
    if a > b { a } else { b }
}

/// Go's `math.Min` (NaN wins; -0 beats +0).
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_infinite() && a < 0.0 || b.is_infinite() && b < 0.0 {
        return f64::NEG_INFINITY;
    }
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && a == b {
        return if a.is_sign_negative() { a } else { b };
    }
    if a < b { a } else { b }
}

/// Sprig `round`: rounds up when the fractional part of `val × 10^places` is at least
/// `round_on`, else down.
pub fn round(val: f64, places: f64, round_on: f64) -> f64 {
    let pow = 10f64.powf(places);
    let digit = pow * val;
    let frac = digit - digit.trunc();
    let r = if frac >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    r / pow
}

/// Sprig `execDecimalOp`: folds the operands as decimals, then converts back to float64.
fn decimal_op(
    first: &Value,
    rest: &[Value],
    f: impl Fn(&Decimal, &Decimal) -> Result<Decimal, super::decimal::DecimalError>,
) -> Result<Value, FuncError> {
    let err = |e: super::decimal::DecimalError| FuncError::new(e.to_string());
    let mut acc = Decimal::from_f64(to_float64(first)).map_err(err)?;
    for v in rest {
        let d = Decimal::from_f64(to_float64(v)).map_err(err)?;
        acc = f(&acc, &d).map_err(err)?;
    }
    Ok(Value::Float(acc.to_f64()))
}
