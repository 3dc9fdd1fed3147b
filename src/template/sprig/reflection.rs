//! Reflection (Sprig `reflect.go`): `typeOf` (Go's `%T`), `typeIs`, `typeIsLike`, `kindOf`
//! (`reflect.Kind` name, `invalid` for nil), `kindIs`, and `deepEqual` (`reflect.DeepEqual`).

use super::{ANY, STR, arg_str, deep_equal, pure};
use crate::template::funcs::{FuncMap, Signature};
use crate::template::value::Value;

pub(crate) fn register(funcs: &mut FuncMap) {
    pure(funcs, "typeOf", Signature::new([ANY]), |a| {
        Ok(Value::from(a[0].type_name().into_owned()))
    });
    pure(funcs, "typeIs", Signature::new([STR, ANY]), |a| {
        Ok(Value::Bool(a[1].type_name() == arg_str(&a, 0)))
    });
    pure(funcs, "typeIsLike", Signature::new([STR, ANY]), |a| {
        let t = a[1].type_name();
        let target = arg_str(&a, 0);
        Ok(Value::Bool(
            t == target || t.strip_prefix('*') == Some(target),
        ))
    });
    pure(funcs, "kindOf", Signature::new([ANY]), |a| {
        Ok(Value::from(a[0].kind_name()))
    });
    pure(funcs, "kindIs", Signature::new([STR, ANY]), |a| {
        Ok(Value::Bool(a[1].kind_name() == arg_str(&a, 0)))
    });
    pure(funcs, "deepEqual", Signature::new([ANY, ANY]), |a| {
        Ok(Value::Bool(deep_equal(&a[0], &a[1])))
    });
}
