//! The library a transport script sees (contract §2): Rhai's core packages (operators,
//! arithmetic and comparison, `print`/`debug`/`to_string`, ranges) plus the string, array, map
//! and number functions a transport script has a use for, each with Rhai's own name, signature
//! and behaviour. Spoolscope does not load the rest of Rhai's standard library: bit fields,
//! trigonometry, string padding and cropping, array splicing, sorting with comparers and the
//! like made up a third of the page's download (measured: ~45 KB gzip) and no transport needs
//! them. [`LIBRARY`] lists what is there; the tests compare every function with Rhai's own.
//! `in` uses `contains`, as in Rhai.

use std::any::TypeId;

use rhai::{
    Array, Dynamic, EvalAltResult, FnPtr, FuncRegistration, ImmutableString, Map, Module,
    NativeCallContext, Position, RhaiFunc, Shared, FLOAT, INT,
};

/// The non-core functions by kind of value, as the "function not found" hint lists them.
pub const LIBRARY: &[(&str, &[&str])] = &[
    (
        "strings",
        &[
            "+",
            "+=",
            "len",
            "is_empty",
            "contains",
            "starts_with",
            "ends_with",
            "index_of",
            "sub_string",
            "split",
            "trim",
            "to_upper",
            "to_lower",
            "replace",
        ],
    ),
    (
        "arrays",
        &[
            "len", "is_empty", "push", "append", "pop", "insert", "remove", "contains", "index_of",
            "get", "filter", "map", "for_each", "some", "all", "reduce", "reverse", "sort", "+",
            "+=",
        ],
    ),
    (
        "object maps",
        &[
            "len", "is_empty", "get", "keys", "values", "contains", "remove",
        ],
    ),
    (
        "numbers",
        &[
            "floor",
            "ceiling",
            "round",
            "sqrt",
            "to_int",
            "to_float",
            "parse_int",
            "parse_float",
        ],
    ),
];

/// Whether `name` is one of the library's functions.
pub fn in_library(name: &str) -> bool {
    LIBRARY.iter().any(|(_, names)| names.contains(&name))
}

/// `strings: + += len …; arrays: …`.
pub fn library_summary() -> String {
    LIBRARY
        .iter()
        .map(|(kind, names)| format!("{kind}: {}", names.join(" ")))
        .collect::<Vec<_>>()
        .join("; ")
}

type Res<T> = Result<T, Box<EvalAltResult>>;

fn runtime_err(msg: String) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(msg.into(), Position::NONE).into()
}

/// Rhai's error for failed number conversions.
fn arithmetic_err(msg: String) -> Box<EvalAltResult> {
    EvalAltResult::ErrorArithmetic(msg, Position::NONE).into()
}

/// How `+` turns a value into text: the script-visible `to_string`, as Rhai's own `+` does.
fn text_of(ctx: &NativeCallContext, item: &mut Dynamic) -> ImmutableString {
    match ctx.call_native_fn_raw("to_string", true, &mut [item]) {
        Ok(r) if r.is_string() => r.into_immutable_string().unwrap_or_default(),
        Ok(r) => ctx.engine().map_type_name(r.type_name()).into(),
        Err(_) => ctx.engine().map_type_name(&item.to_string()).into(),
    }
}

/// A character index counted from the end when negative, as Rhai's string functions do;
/// `None` when it lies beyond the end.
fn char_offset(start: INT, chars: usize) -> Option<usize> {
    if start < 0 {
        Some(chars.saturating_sub(usize::try_from(start.unsigned_abs()).unwrap_or(usize::MAX)))
    } else {
        usize::try_from(start).ok().filter(|&s| s < chars)
    }
}

fn sub_string(s: &str, start: INT, len: INT) -> ImmutableString {
    let count = s.chars().count();
    match char_offset(start, count) {
        Some(offset) if len > 0 => {
            let len = usize::try_from(len)
                .unwrap_or(usize::MAX)
                .min(count - offset);
            s.chars().skip(offset).take(len).collect::<String>().into()
        }
        _ => ImmutableString::new(),
    }
}

/// The character index of `find` in `s` at or after character `start`, or -1.
fn index_of(s: &str, find: &str, start: INT) -> INT {
    if s.is_empty() {
        return -1; // as Rhai, even for ""
    }
    let count = s.chars().count();
    let Some(offset) = char_offset(start, count) else {
        return -1;
    };
    let byte_start = s.char_indices().nth(offset).map_or(s.len(), |(b, _)| b);
    s[byte_start..].find(find).map_or(-1, |b| {
        INT::try_from(offset + s[byte_start..byte_start + b].chars().count()).unwrap_or(-1)
    })
}

/// An array position counted from the end when negative, as Rhai's `remove` does; `None`
/// outside the array.
fn array_index(i: INT, len: usize) -> Option<usize> {
    if i < 0 {
        let back = usize::try_from(i.unsigned_abs()).ok()?;
        len.checked_sub(back)
    } else {
        usize::try_from(i).ok().filter(|&k| k < len)
    }
}

/// `==` as the script defines it, for `contains`, `index_of` and `in`: values of different
/// types without an `==` are unequal.
fn equals(ctx: &NativeCallContext, a: &mut Dynamic, b: &Dynamic) -> Res<bool> {
    let same_type = a.type_id() == b.type_id();
    match ctx.call_native_fn_raw("==", true, &mut [a, &mut b.clone()]) {
        Ok(r) => Ok(r.as_bool().unwrap_or(false)),
        Err(e) if !same_type && matches!(*e, EvalAltResult::ErrorFunctionNotFound(..)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Calls a callback with an element, and its index when the callback takes two parameters
/// (Rhai's rule for `filter`, `map`, `some`, `all`).
fn call_with(
    ctx: &NativeCallContext,
    f: &FnPtr,
    caller: &str,
    item: &mut Dynamic,
    i: usize,
) -> Res<Dynamic> {
    f.call_raw_with_extra_args(caller, ctx, Some(item), [], [int(i)], Some(0))
}

/// A library function as Rhai calls it: the call context and the arguments, whose types the
/// registration fixes. One plain `fn` per function and one registration path for all: Rhai's
/// typed registration instantiates its argument-casting machinery once per function, which
/// cost more than the functions themselves.
type Raw = fn(&NativeCallContext, &mut [&mut Dynamic]) -> Res<Dynamic>;

/// What Rhai stores for a native function (its `FnAny`).
type RhaiFnAny = dyn Fn(Option<NativeCallContext>, &mut [&mut Dynamic]) -> Res<Dynamic>;

const STR: TypeId = TypeId::of::<ImmutableString>();
const CHAR: TypeId = TypeId::of::<char>();
const ANY: TypeId = TypeId::of::<Dynamic>();
const UNIT: TypeId = TypeId::of::<()>();
const I: TypeId = TypeId::of::<INT>();
const F: TypeId = TypeId::of::<FLOAT>();
const ARR: TypeId = TypeId::of::<Array>();
const MAP: TypeId = TypeId::of::<Map>();
const FN: TypeId = TypeId::of::<FnPtr>();

/// How a function treats its first argument.
#[derive(Clone, Copy, PartialEq)]
enum First {
    /// Only reads it (may be called on a constant).
    Reads,
    /// Changes it in place (`push`, `trim`, `+=`).
    Changes,
}

fn reg(m: &mut Module, name: &str, types: &[TypeId], first: First, f: Raw) {
    let func: Shared<RhaiFnAny> = Shared::new(
        move |ctx: Option<NativeCallContext>, args: &mut [&mut Dynamic]| match ctx {
            Some(ctx) => f(&ctx, args),
            None => Err(runtime_err(
                "a library function was called without a context".into(),
            )),
        },
    );
    let registration = match name.strip_prefix("get$") {
        Some(prop) => FuncRegistration::new_getter(prop),
        None => FuncRegistration::new(name),
    };
    // As Rhai registers its own: a function that changes its first argument, or takes an
    // array or map by reference, is a method (its result may be fed back through a property
    // setter); the others get their first argument by value, so they also work on a read-only
    // property such as a recipient's `address`.
    let is_pure = first == First::Reads;
    let func = if !is_pure || matches!(types.first(), Some(&t) if t == ARR || t == MAP) {
        RhaiFunc::Method {
            func,
            has_context: true,
            is_pure,
            is_volatile: false,
        }
    } else {
        RhaiFunc::Pure {
            func,
            has_context: true,
            is_pure: true,
            is_volatile: false,
        }
    };
    registration.set_into_module_raw(m, types, func);
}

fn s(a: &Dynamic) -> ImmutableString {
    a.clone().into_immutable_string().unwrap_or_default()
}

fn i(a: &Dynamic) -> INT {
    a.as_int().unwrap_or(0)
}

fn fl(a: &Dynamic) -> FLOAT {
    a.as_float().unwrap_or(0.0)
}

fn c(a: &Dynamic) -> char {
    a.as_char().unwrap_or('\0')
}

fn fnptr(a: &Dynamic) -> FnPtr {
    a.clone().cast::<FnPtr>()
}

fn int(n: usize) -> Dynamic {
    Dynamic::from_int(INT::try_from(n).unwrap_or(INT::MAX))
}

fn array(a: &mut Dynamic) -> Res<impl std::ops::DerefMut<Target = Array> + '_> {
    a.as_array_mut()
        .map_err(|t| runtime_err(format!("expected an array, found {t}")))
}

fn map(a: &mut Dynamic) -> Res<impl std::ops::DerefMut<Target = Map> + '_> {
    a.as_map_mut()
        .map_err(|t| runtime_err(format!("expected an object map, found {t}")))
}

fn text(t: String) -> Res<Dynamic> {
    Ok(ImmutableString::from(t).into())
}

/// Adds the library to `m` (the package's module), in the order of [`LIBRARY`].
pub(crate) fn register(m: &mut Module) {
    register_strings(m);
    register_arrays(m);
    register_maps(m);
    register_numbers(m);
}

/// String operators and methods.
fn register_strings(m: &mut Module) {
    use First::{Changes, Reads};

    reg(m, "+", &[STR, ANY], Reads, |ctx, a| {
        let t = text_of(ctx, a[1]);
        text(format!("{}{t}", s(a[0])))
    });
    reg(m, "+", &[ANY, STR], Reads, |ctx, a| {
        let t = text_of(ctx, a[0]);
        text(format!("{t}{}", s(a[1])))
    });
    reg(m, "+", &[STR, STR], Reads, |_, a| {
        text(format!("{}{}", s(a[0]), s(a[1])))
    });
    reg(m, "+", &[STR, CHAR], Reads, |_, a| {
        text(format!("{}{}", s(a[0]), c(a[1])))
    });
    reg(m, "+", &[CHAR, STR], Reads, |_, a| {
        text(format!("{}{}", c(a[0]), s(a[1])))
    });
    reg(m, "+", &[STR, UNIT], Reads, |_, a| Ok(a[0].clone()));
    reg(m, "+", &[UNIT, STR], Reads, |_, a| Ok(a[1].clone()));
    reg(m, "+=", &[STR, ANY], Changes, |ctx, a| {
        let t = text_of(ctx, a[1]);
        *a[0] = text(format!("{}{t}", s(a[0])))?;
        Ok(Dynamic::UNIT)
    });
    for t in [STR, CHAR] {
        reg(m, "+=", &[STR, t], Changes, |_, a| {
            *a[0] = text(format!("{}{}", s(a[0]), a[1]))?;
            Ok(Dynamic::UNIT)
        });
    }
    reg(m, "+=", &[STR, UNIT], Changes, |_, _| Ok(Dynamic::UNIT));
    for name in ["len", "get$len"] {
        reg(m, name, &[STR], Reads, |_, a| {
            Ok(int(s(a[0]).chars().count()))
        });
    }
    for name in ["is_empty", "get$is_empty"] {
        reg(m, name, &[STR], Reads, |_, a| Ok(s(a[0]).is_empty().into()));
    }
    reg(m, "contains", &[STR, STR], Reads, |_, a| {
        Ok(s(a[0]).contains(s(a[1]).as_str()).into())
    });
    reg(m, "contains", &[STR, CHAR], Reads, |_, a| {
        Ok(s(a[0]).contains(c(a[1])).into())
    });
    for t in [STR, CHAR] {
        reg(m, "starts_with", &[STR, t], Reads, |_, a| {
            Ok(s(a[0]).starts_with(a[1].to_string().as_str()).into())
        });
        reg(m, "ends_with", &[STR, t], Reads, |_, a| {
            Ok(s(a[0]).ends_with(a[1].to_string().as_str()).into())
        });
    }
    for t in [STR, CHAR] {
        reg(m, "index_of", &[STR, t], Reads, |_, a| {
            Ok(index_of(&s(a[0]), &a[1].to_string(), 0).into())
        });
        reg(m, "index_of", &[STR, t, I], Reads, |_, a| {
            Ok(index_of(&s(a[0]), &a[1].to_string(), i(a[2])).into())
        });
    }
    reg(m, "sub_string", &[STR, I, I], Reads, |_, a| {
        Ok(sub_string(&s(a[0]), i(a[1]), i(a[2])).into())
    });
    reg(m, "sub_string", &[STR, I], Reads, |_, a| {
        Ok(sub_string(&s(a[0]), i(a[1]), INT::MAX).into())
    });
    for t in [STR, CHAR] {
        reg(m, "split", &[STR, t], Reads, |_, a| {
            let (whole, d) = (s(a[0]), a[1].to_string());
            if whole.is_empty() {
                return Ok(vec![Dynamic::from(whole)].into()); // as Rhai, even for ""
            }
            let parts: Array = whole
                .split(d.as_str())
                .map(|p| ImmutableString::from(p).into())
                .collect();
            Ok(parts.into())
        });
    }
    reg(m, "trim", &[STR], Changes, |_, a| {
        let whole = s(a[0]);
        if whole.trim().len() != whole.len() {
            *a[0] = ImmutableString::from(whole.trim()).into();
        }
        Ok(Dynamic::UNIT)
    });
    reg(m, "to_upper", &[STR], Reads, |_, a| {
        text(s(a[0]).to_uppercase())
    });
    reg(m, "to_lower", &[STR], Reads, |_, a| {
        text(s(a[0]).to_lowercase())
    });
    for (find, with) in [(STR, STR), (STR, CHAR), (CHAR, STR), (CHAR, CHAR)] {
        reg(m, "replace", &[STR, find, with], Changes, |_, a| {
            if s(a[0]).is_empty() {
                return Ok(Dynamic::UNIT); // as Rhai, even when replacing ""
            }
            *a[0] = text(s(a[0]).replace(&a[1].to_string(), &a[2].to_string()))?;
            Ok(Dynamic::UNIT)
        });
    }
    // A character whose case mapping is several characters (ß) stays as it is, as in Rhai.
    reg(m, "to_upper", &[CHAR], Reads, |_, a| {
        let ch = c(a[0]);
        let mut up = ch.to_uppercase();
        Ok(match (up.next(), up.next()) {
            (Some(u), None) => u,
            _ => ch,
        }
        .into())
    });
    reg(m, "to_lower", &[CHAR], Reads, |_, a| {
        let ch = c(a[0]);
        let mut low = ch.to_lowercase();
        Ok(match (low.next(), low.next()) {
            (Some(l), None) => l,
            _ => ch,
        }
        .into())
    });
}

/// Array methods.
fn register_arrays(m: &mut Module) {
    use First::{Changes, Reads};

    for name in ["len", "get$len"] {
        reg(m, name, &[ARR], Reads, |_, a| Ok(int(array(a[0])?.len())));
    }
    for name in ["is_empty", "get$is_empty"] {
        reg(m, name, &[ARR], Reads, |_, a| {
            Ok(array(a[0])?.is_empty().into())
        });
    }
    for name in ["push", "+="] {
        reg(m, name, &[ARR, ANY], Changes, |_, a| {
            let item = std::mem::take(a[1]);
            array(a[0])?.push(item);
            Ok(Dynamic::UNIT)
        });
    }
    for name in ["append", "+="] {
        reg(m, name, &[ARR, ARR], Changes, |_, a| {
            let mut more = std::mem::take(a[1]).cast::<Array>();
            array(a[0])?.append(&mut more);
            Ok(Dynamic::UNIT)
        });
    }
    reg(m, "+", &[ARR, ARR], Reads, |_, a| {
        let mut out = array(a[0])?.clone();
        out.extend(std::mem::take(a[1]).cast::<Array>());
        Ok(out.into())
    });
    reg(m, "pop", &[ARR], Changes, |_, a| {
        Ok(array(a[0])?.pop().unwrap_or(Dynamic::UNIT))
    });
    reg(m, "insert", &[ARR, I, ANY], Changes, |_, a| {
        // Rhai: a negative index counts from the end; past the end appends, before the start
        // prepends.
        let (at, item) = (i(a[1]), std::mem::take(a[2]));
        let mut arr = array(a[0])?;
        let at = if at < 0 {
            arr.len()
                .saturating_sub(usize::try_from(at.unsigned_abs()).unwrap_or(usize::MAX))
        } else {
            usize::try_from(at).unwrap_or(usize::MAX).min(arr.len())
        };
        arr.insert(at, item);
        Ok(Dynamic::UNIT)
    });
    reg(m, "remove", &[ARR, I], Changes, |_, a| {
        let at = i(a[1]);
        let mut arr = array(a[0])?;
        Ok(array_index(at, arr.len()).map_or(Dynamic::UNIT, |k| arr.remove(k)))
    });
    // Not pure in Rhai either: it cannot be called on a constant.
    reg(m, "get", &[ARR, I], Changes, |_, a| {
        let at = i(a[1]);
        let arr = array(a[0])?;
        // Rhai's `get` clamps a negative index before the start to the first element.
        let k = char_offset(at, arr.len()).filter(|&k| k < arr.len());
        Ok(k.map_or(Dynamic::UNIT, |k| arr[k].clone()))
    });
    reg(m, "contains", &[ARR, ANY], Reads, |ctx, a| {
        let v = a[1].clone();
        Ok(position(ctx, &mut *array(a[0])?, &v)?.is_some().into())
    });
    reg(m, "index_of", &[ARR, ANY], Reads, |ctx, a| {
        let v = a[1].clone();
        Ok(position(ctx, &mut *array(a[0])?, &v)?.map_or(Dynamic::from_int(-1), int))
    });
    reg(m, "index_of", &[ARR, FN], Reads, |ctx, a| {
        let p = fnptr(a[1]);
        for (k, item) in array(a[0])?.iter_mut().enumerate() {
            if call_with(ctx, &p, "index_of", item, k)?
                .as_bool()
                .unwrap_or(false)
            {
                return Ok(int(k));
            }
        }
        Ok(Dynamic::from_int(-1))
    });
    reg(m, "==", &[ARR, ARR], Reads, |ctx, a| {
        arrays_equal(ctx, a).map(Dynamic::from)
    });
    reg(m, "!=", &[ARR, ARR], Reads, |ctx, a| {
        arrays_equal(ctx, a).map(|e| (!e).into())
    });
    reg(m, "filter", &[ARR, FN], Reads, |ctx, a| {
        let p = fnptr(a[1]);
        let mut out = Array::new();
        for (k, item) in array(a[0])?.iter_mut().enumerate() {
            if call_with(ctx, &p, "filter", item, k)?
                .as_bool()
                .unwrap_or(false)
            {
                out.push(item.clone());
            }
        }
        Ok(out.into())
    });
    reg(m, "map", &[ARR, FN], Reads, |ctx, a| {
        let p = fnptr(a[1]);
        let mut arr = array(a[0])?;
        let mut out = Array::with_capacity(arr.len());
        for (k, item) in arr.iter_mut().enumerate() {
            out.push(call_with(ctx, &p, "map", item, k)?);
        }
        Ok(out.into())
    });
    reg(m, "for_each", &[ARR, FN], Changes, |ctx, a| {
        let p = fnptr(a[1]);
        for (k, item) in array(a[0])?.iter_mut().enumerate() {
            let _ = p.call_raw_with_extra_args("for_each", ctx, Some(item), [], [int(k)], None)?;
        }
        Ok(Dynamic::UNIT)
    });
    for (name, want) in [("some", true), ("all", false)] {
        // `some` stops at the first true, `all` at the first false.
        let f: Raw = if want {
            |ctx, a| find_truth(ctx, a, "some", true)
        } else {
            |ctx, a| find_truth(ctx, a, "all", false)
        };
        reg(m, name, &[ARR, FN], Reads, f);
    }
    reg(m, "reduce", &[ARR, FN, ANY], Reads, |ctx, a| {
        let initial = std::mem::take(a[2]);
        reduce(ctx, a, initial)
    });
    reg(m, "reduce", &[ARR, FN], Reads, |ctx, a| {
        reduce(ctx, a, Dynamic::UNIT)
    });
    reg(m, "reverse", &[ARR], Changes, |_, a| {
        array(a[0])?.reverse();
        Ok(Dynamic::UNIT)
    });
    reg(m, "sort", &[ARR], Changes, |_, a| {
        sort(&mut *array(a[0])?)?;
        Ok(Dynamic::UNIT)
    });
}

/// Object-map methods.
fn register_maps(m: &mut Module) {
    use First::{Changes, Reads};

    for name in ["len", "get$len"] {
        reg(m, name, &[MAP], Reads, |_, a| Ok(int(map(a[0])?.len())));
    }
    for name in ["is_empty", "get$is_empty"] {
        reg(m, name, &[MAP], Reads, |_, a| {
            Ok(map(a[0])?.is_empty().into())
        });
    }
    reg(m, "get", &[MAP, STR], Reads, |_, a| {
        let key = s(a[1]);
        Ok(map(a[0])?
            .get(key.as_str())
            .cloned()
            .unwrap_or(Dynamic::UNIT))
    });
    reg(m, "==", &[MAP, MAP], Reads, |ctx, a| {
        maps_equal(ctx, a).map(Dynamic::from)
    });
    reg(m, "!=", &[MAP, MAP], Reads, |ctx, a| {
        maps_equal(ctx, a).map(|e| (!e).into())
    });
    reg(m, "keys", &[MAP], Reads, |_, a| {
        let keys: Array = map(a[0])?
            .keys()
            .map(|k| ImmutableString::from(k.as_str()).into())
            .collect();
        Ok(keys.into())
    });
    reg(m, "values", &[MAP], Reads, |_, a| {
        let values: Array = map(a[0])?.values().cloned().collect();
        Ok(values.into())
    });
    reg(m, "contains", &[MAP, STR], Reads, |_, a| {
        let key = s(a[1]);
        Ok(map(a[0])?.contains_key(key.as_str()).into())
    });
    reg(m, "remove", &[MAP, STR], Changes, |_, a| {
        let key = s(a[1]);
        Ok(map(a[0])?.remove(key.as_str()).unwrap_or(Dynamic::UNIT))
    });
}

/// Number functions and conversions.
fn register_numbers(m: &mut Module) {
    use First::Reads;

    for name in ["floor", "get$floor"] {
        reg(m, name, &[F], Reads, |_, a| Ok(fl(a[0]).floor().into()));
    }
    for name in ["ceiling", "get$ceiling"] {
        reg(m, name, &[F], Reads, |_, a| Ok(fl(a[0]).ceil().into()));
    }
    for name in ["round", "get$round"] {
        reg(m, name, &[F], Reads, |_, a| Ok(fl(a[0]).round().into()));
    }
    reg(m, "sqrt", &[F], Reads, |_, a| Ok(fl(a[0]).sqrt().into()));
    reg(m, "to_float", &[I], Reads, |_, a| {
        Ok((i(a[0]) as FLOAT).into())
    });
    reg(m, "to_float", &[F], Reads, |_, a| Ok(a[0].clone()));
    reg(m, "to_int", &[I], Reads, |_, a| Ok(a[0].clone()));
    reg(m, "to_int", &[F], Reads, |_, a| {
        // As Rhai: out of range is an error; NaN becomes 0 (Rust's saturating cast).
        let x = fl(a[0]);
        if x > INT::MAX as FLOAT || x < INT::MIN as FLOAT {
            Err(arithmetic_err(format!("Integer overflow: to_int({x})")))
        } else {
            Ok(Dynamic::from_int(x.trunc() as INT))
        }
    });
    reg(m, "parse_int", &[STR], Reads, |_, a| {
        let t = s(a[0]);
        t.trim()
            .parse::<INT>()
            .map(Dynamic::from_int)
            .map_err(|e| arithmetic_err(format!("Error parsing integer number '{t}': {e}")))
    });
    reg(m, "parse_float", &[STR], Reads, |_, a| {
        let t = s(a[0]);
        t.trim()
            .parse::<FLOAT>()
            .map(Dynamic::from_float)
            .map_err(|e| arithmetic_err(format!("Error parsing floating-point number '{t}': {e}")))
    });
}

/// Rhai's array `==`: same length, elements `==` pairwise (different types without an `==`
/// are unequal).
fn arrays_equal(ctx: &NativeCallContext, a: &mut [&mut Dynamic]) -> Res<bool> {
    let other = a[1].clone().cast::<Array>();
    let mut arr = array(a[0])?;
    if arr.len() != other.len() {
        return Ok(false);
    }
    for (x, y) in arr.iter_mut().zip(&other) {
        if !equals(ctx, x, y)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Rhai's map `==`: the same keys, values `==`.
fn maps_equal(ctx: &NativeCallContext, a: &mut [&mut Dynamic]) -> Res<bool> {
    let mut other = a[1].clone().cast::<Map>();
    let mut this = map(a[0])?;
    if this.len() != other.len() {
        return Ok(false);
    }
    for (k, v) in this.iter_mut() {
        let Some(w) = other.get_mut(k) else {
            return Ok(false);
        };
        let same = ctx.call_native_fn_raw("==", true, &mut [v, w])?;
        if !same.as_bool().unwrap_or(false) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The first element `==` to `v`.
fn position(ctx: &NativeCallContext, arr: &mut Array, v: &Dynamic) -> Res<Option<usize>> {
    for (k, item) in arr.iter_mut().enumerate() {
        if equals(ctx, item, v)? {
            return Ok(Some(k));
        }
    }
    Ok(None)
}

/// `some` (stop at the first `want` = true) and `all` (stop at the first false).
fn find_truth(
    ctx: &NativeCallContext,
    a: &mut [&mut Dynamic],
    name: &str,
    want: bool,
) -> Res<Dynamic> {
    let p = fnptr(a[1]);
    for (k, item) in array(a[0])?.iter_mut().enumerate() {
        if call_with(ctx, &p, name, item, k)?
            .as_bool()
            .unwrap_or(false)
            == want
        {
            return Ok(want.into());
        }
    }
    Ok((!want).into())
}

fn reduce(ctx: &NativeCallContext, a: &mut [&mut Dynamic], initial: Dynamic) -> Res<Dynamic> {
    let p = fnptr(a[1]);
    let mut acc = initial;
    for (k, item) in array(a[0])?.iter_mut().enumerate() {
        acc = p.call_raw_with_extra_args("reduce", ctx, Some(item), [acc], [int(k)], Some(1))?;
    }
    Ok(acc)
}

/// Rhai's `sort()` without a comparer: integers, floats, strings, characters or booleans
/// are sorted, an array of `()` is left as it is, anything else is an error.
fn sort(arr: &mut Array) -> Res<()> {
    if arr.len() < 2 {
        return Ok(());
    }
    let Some(first) = arr.first() else {
        return Ok(());
    };
    let kind = first.type_id();
    if arr.iter().any(|v| v.type_id() != kind) {
        return Err(runtime_err(
            "sort() sorts integers, floats, strings, characters or booleans, all of one type"
                .into(),
        ));
    }
    if kind == UNIT {
        return Ok(());
    }
    if ![I, F, STR, CHAR, TypeId::of::<bool>()].contains(&kind) {
        return Err(runtime_err(
            "sort() sorts integers, floats, strings, characters or booleans, all of one type"
                .into(),
        ));
    }
    arr.sort_by(|x, y| {
        if let (Ok(x), Ok(y)) = (x.as_int(), y.as_int()) {
            x.cmp(&y)
        } else if let (Ok(x), Ok(y)) = (x.as_float(), y.as_float()) {
            // As Rhai: NaN compares equal to everything, so it stays where it is.
            x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal)
        } else if let (Ok(x), Ok(y)) = (x.as_char(), y.as_char()) {
            x.cmp(&y)
        } else if let (Ok(x), Ok(y)) = (x.as_bool(), y.as_bool()) {
            x.cmp(&y)
        } else {
            s(x).as_str().cmp(s(y).as_str())
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use rhai::packages::{Package, StandardPackage};
    use rhai::Engine;

    use super::*;

    fn ours() -> Engine {
        let mut e = Engine::new_raw();
        e.register_global_module(crate::host::ScriptPackage::new().as_shared_module());
        e
    }

    fn rhai_std() -> Engine {
        let mut e = Engine::new_raw();
        e.register_global_module(StandardPackage::new().as_shared_module());
        e
    }

    fn run(e: &Engine, src: &str) -> String {
        match e.eval::<Dynamic>(src) {
            Ok(v) => format!("{v:?}"),
            Err(err) => format!(
                "error: {}",
                err.to_string().split(" (line").next().unwrap_or("")
            ),
        }
    }

    /// Every library function, on ordinary and edge-case arguments, gives what Rhai's own
    /// standard library gives.
    #[test]
    fn the_library_behaves_like_rhais_own() {
        let (a, b) = (ours(), rhai_std());
        let mut differ = Vec::new();
        for src in CASES {
            let (x, y) = (run(&a, src), run(&b, src));
            if x != y {
                differ.push(format!("{src}\n  ours: {x}\n  rhai: {y}"));
            }
        }
        assert!(
            differ.is_empty(),
            "{} differ:\n{}",
            differ.len(),
            differ.join("\n")
        );
    }

    const CASES: &[&str] = &[
            r#""n=" + 5"#, r#"5 + "=n""#, r#""a" + 'b'"#, r#"'b' + "a""#, r#""x" + 1.5"#,
            r#""x" + true"#, r#""x" + [1, "y"]"#, r#""x" + #{a: 1}"#, r#""x" + ()"#, r#"() + "x""#,
            r#"let s = "a"; s += 1; s += "b"; s += 'c'; s += (); s"#,
            r#""héllo".len()"#, r#""".len"#, r#""".is_empty()"#, r#""x".is_empty"#,
            r#""abc@contoso.example".contains("@contoso")"#, r#""abc".contains('b')"#,
            r#""contoso" in "x@contoso.example""#, r#"'x' in "xyz""#,
            r#""SMTP:a".starts_with("SMTP:")"#, r#""a@x.example".ends_with(".example")"#,
            r#""héllo wörld".index_of("wö")"#, r#""abc".index_of("z")"#, r#""abcabc".index_of("b", 2)"#,
            r#""abcabc".index_of("b", -2)"#, r#""abc".index_of("b", 9)"#, r#""abc".index_of('c')"#,
            r#""abcabc".index_of('a', 1)"#, r#""abc".index_of("")"#,
            r#""héllo".sub_string(1, 3)"#, r#""hello".sub_string(-3, 2)"#, r#""hello".sub_string(-9, 2)"#,
            r#""hello".sub_string(2, 99)"#, r#""hello".sub_string(5, 1)"#, r#""hello".sub_string(1, 0)"#,
            r#""hello".sub_string(1, -1)"#, r#""hello".sub_string(2)"#, r#""hello".sub_string(-2)"#,
            r#""a,b,,c".split(",")"#, r#""a b".split(' ')"#, r#""abc".split("")"#, r#""".split(",")"#,
            r#"let s = "  x y \t"; s.trim(); s"#, r#"let s = "x"; s.trim(); s"#,
            r#""Ünï a".to_upper()"#, r#""ÜNÏ A".to_lower()"#,
            r#"let s = "a-b-c"; s.replace("-", "+"); s"#, r#"let s = "a-b"; s.replace('-', '_'); s"#,
            r#"let s = "aaa"; s.replace("a", ""); s"#,
            "[1, 2, 3].len()", "[].len", "[].is_empty()", "[1].is_empty", "let a = [1]; a.push(2); a += 3; a",
            "let a = [1]; a += [2, 3]; a.append([4]); a", "[1, 2] + [3]", "let a = [1, 2]; let x = a.pop(); [a, x]",
            "let a = []; a.pop()", "let a = [1, 2]; a.insert(1, 9); a.insert(-1, 8); a.insert(99, 7); a.insert(-99, 6); a",
            "let a = [1, 2, 3]; let x = a.remove(1); let y = a.remove(-1); let z = a.remove(9); [a, x, y, z]",
            "[1, 2, 3].contains(2)", "[1, 2, 3].contains(\"2\")", "2 in [1, 2]", "[\"a\", 1].contains(1)",
            "[1, 2, 3].index_of(3)", "[1, 2, 3].index_of(7)",
            "[1, 2, 3, 4].filter(|x| x % 2 == 0)", "[1, 2, 3].filter(|x, i| i > 0)",
            "[1, 2, 3].map(|x| x * 10)", "[1, 2, 3].map(|x, i| x + i)", "[].map(|x| x)",
            "[1, 2, 3].get(1)", "[1, 2, 3].get(-1)", "[1].get(5)", "#{a: 1}.get(\"a\")", "#{a: 1}.get(\"b\")",
            "let a = [1, 2]; a.for_each(|| this *= 10); a", "let a = [1, 2]; a.for_each(|i| this += i); a",
            "[1, 2].some(|x| x > 1)", "[1, 2].some(|x| x > 5)", "[1, 2].all(|x| x > 0)", "[1, 2].all(|x| x > 1)",
            "[1, 2, 3].reduce(|sum, x| sum + x, 0)", "[1, 2, 3].reduce(|sum, x| sum + x)",
            "[1, 2, 3].reduce(|sum, x, i| sum + x * i, 100)", "[].reduce(|s, x| s + x, 5)",
            "let a = [1, 2, 3]; a.reverse(); a",
            "let a = [3, 1, 2]; a.sort(); a", "let a = [\"b\", \"a\", \"c\"]; a.sort(); a",
            "let a = [2.5, -1.0, 0.5]; a.sort(); a", "let a = ['z', 'a']; a.sort(); a",
            "let a = [true, false]; a.sort(); a", "let a = []; a.sort(); a", 
            "#{a: 1, b: 2}.len()", "#{}.len", "#{}.is_empty()", "#{a: 1}.is_empty",
            "#{b: 1, a: 2}.keys()", "#{b: 1, a: 2}.values()", "#{a: 1}.contains(\"a\")", "\"a\" in #{a: 1}",
            "let m = #{a: 1, b: 2}; let x = m.remove(\"a\"); let y = m.remove(\"z\"); [m, x, y]",
            "floor(2.7)", "ceiling(2.1)", "round(2.5)", "round(-2.5)", "sqrt(16.0)", "2.7.floor()",
            "to_float(3)", "3.to_float()", "2.5.to_float()", "7.to_int()", "(-2.7).to_int()", "1e30.to_int()",
            "parse_int(\"42\")", "parse_int(\" -7 \")", "parse_int(\"x\")", "parse_float(\"2.5\")", "parse_float(\"nope\")",
            "const S = \" x \"; [S.len(), S.contains(\"x\"), S.sub_string(1)]", "const S = \" x \"; S.trim(); S",
            "const A = [1, 2]; [A.len(), A.contains(2), A.filter(|x| x > 1)]", "const A = [1]; A.push(2); A",
            "const M = #{a: 1}; [M.len(), M.keys()]", "const M = #{a: 1}; M.remove(\"a\"); M",
            "let a = []; [a.remove(-1), a.get(-1), a]", "let a = [1, 2, 3]; [a.remove(-9), a]", "[1, 2].get(-2)",
            "[1, 2].get(-3)", "const A = [1, 2]; A.get(0)",
            "[1] == [1]", "[1] != [2]", "[1, \"a\"] == [1, \"a\"]", "[1] == [1, 2]", "[1] == [\"1\"]",
            "#{a: 1} == #{a: 1}", "#{a: 1} != #{a: 2}", "#{a: 1} == #{b: 1}", "[[1]].contains([1])",
            "[1] in [[1]]", "[1, [2]].index_of([2])", "[1, 2, 3].index_of(|x| x > 1)", "[1].index_of(|x| x > 5)",
            "[#{a: 1} == #{a: 1}]",
            "let a = [0.0, -0.0]; a.sort(); a", "let a = [2.0, 1.0]; a.sort(); a", 
            "let a = [(), ()]; a.sort(); a", "let a = [5]; a.sort(); a", "let a = [#{a: 1}]; a.sort(); a",
            "let a = [[1]]; a.sort(); a", "\"\".split(\"\")", "\"\".split(\",\")", "\"\".index_of(\"\", -1)",
            "\"\".index_of(\"\")", "\"ab\".index_of(\"\")", "let s = \"\"; s.replace(\"\", \"x\"); s",
            "2.7.floor", "2.2.ceiling", "2.5.round", "9223372036854775807.0.to_int()", "(-9.3e18).to_int()",
            "let s = \"banana\"; s.replace(\"a\", 'o'); s", "let s = \"banana\"; s.replace('a', \"oo\"); s",
            "\"abc\".starts_with('a')", "\"abc\".ends_with('c')", "'a'.to_upper()", "'Ä'.to_lower()", "'ß'.to_upper()",
            "abs(-3)", "max(2, 5)", "min(2.5, 1)", "1 < 2.5", "type_of(1)",
        ];

    /// Rhai says "Function not found: elements of different types cannot be sorted".
    #[test]
    fn sorting_mixed_types_says_what_sort_takes() {
        for src in [
            "let a = [1, \"x\"]; a.sort(); a",
            "let a = [#{}, #{}]; a.sort(); a",
        ] {
            let out = run(&ours(), src);
            assert!(
                out.contains("sort() sorts integers, floats, strings"),
                "{out}"
            );
            assert!(run(&rhai_std(), src).starts_with("error"));
        }
    }

    #[test]
    fn every_listed_function_is_compared() {
        for (_, names) in LIBRARY {
            for name in *names {
                let used = CASES.iter().any(|c| {
                    c.contains(&format!("{name}("))
                        || c.contains(&format!(".{name}"))
                        || c.contains(&format!(" {name} "))
                });
                assert!(used, "{name} has no case in the comparison with Rhai");
            }
        }
    }
}
