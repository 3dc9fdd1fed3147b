//! Values trees with Go's reference semantics for maps, which Helm's coalescing relies on.
//!
//! Helm's `coalesce.go` and `dependencies.go` share map objects between places in a values
//! tree (a shallow `copyMap` of a global table, a child table stored into a parent without
//! copying) and then merge into them, so a later merge can show up in every place holding the
//! same map (for example a subchart's nested global default appearing in the parent's
//! `global`). A [`Table`] is such a shared map; [`Node`] is a value whose maps are shared.
//! Lists and scalars are never changed in place by those algorithms, so they stay plain
//! [`Value`]s. All recursion runs on a growable stack (`stacker`) so deep values cannot
//! overflow the thread's stack.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{Map, Value};

/// A Go `map[string]interface{}`: cloning the handle shares the map.
pub(crate) type Table = Rc<RefCell<BTreeMap<String, Node>>>;

/// A Go `interface{}` in a values tree.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// Anything but a map (`nil`, bool, number, string, list), held by value.
    Plain(Value),
    /// A map, held by reference.
    Map(Table),
}

impl Node {
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Node::Plain(Value::Null))
    }

    pub(crate) fn as_table(&self) -> Option<&Table> {
        match self {
            Node::Map(t) => Some(t),
            Node::Plain(_) => None,
        }
    }
}

/// A new empty table.
pub(crate) fn new_table() -> Table {
    Rc::new(RefCell::new(BTreeMap::new()))
}

fn grow<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, f)
}

/// A fresh table tree holding `map` (Go: a deep copy, `copystructure.Copy`).
pub(crate) fn from_map(map: &Map<String, Value>) -> Table {
    let table: BTreeMap<String, Node> = map
        .iter()
        .map(|(k, v)| (k.clone(), from_value(v)))
        .collect();
    Rc::new(RefCell::new(table))
}

/// A fresh node for `value`.
pub(crate) fn from_value(value: &Value) -> Node {
    match value {
        Value::Object(map) => grow(|| Node::Map(from_map(map))),
        other => Node::Plain(other.clone()),
    }
}

/// The tree as plain values; `None` when it nests deeper than `limit` (only a reference
/// cycle could make it so).
pub(crate) fn to_map(table: &Table, limit: usize) -> Option<Map<String, Value>> {
    let entries = entries(table);
    let mut out = Map::new();
    for (k, v) in entries {
        out.insert(k, to_value(&v, limit)?);
    }
    Some(out)
}

fn to_value(node: &Node, limit: usize) -> Option<Value> {
    match node {
        Node::Plain(v) => Some(v.clone()),
        Node::Map(t) => {
            let limit = limit.checked_sub(1)?;
            grow(|| to_map(t, limit).map(Value::Object))
        }
    }
}

/// A deep copy with no sharing left (Go: `copystructure.Copy`).
pub(crate) fn deep_copy(table: &Table, limit: usize) -> Option<Table> {
    let plain = to_map(table, limit)?;
    let copy = from_map(&plain);
    drop_value(Value::Object(plain));
    Some(copy)
}

/// Snapshot of a table's entries (Go ranges over a map while the loop body changes other
/// maps; a snapshot keeps the borrow short).
pub(crate) fn entries(table: &Table) -> Vec<(String, Node)> {
    table
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

pub(crate) fn get(table: &Table, key: &str) -> Option<Node> {
    table.borrow().get(key).cloned()
}

pub(crate) fn insert(table: &Table, key: &str, node: Node) {
    table.borrow_mut().insert(key.to_owned(), node);
}

pub(crate) fn remove(table: &Table, key: &str) {
    table.borrow_mut().remove(key);
}

/// A new table with the same entries (Go's `copyMap`: nested maps stay shared).
pub(crate) fn shallow_copy(table: &Table) -> Table {
    Rc::new(RefCell::new(table.borrow().clone()))
}

/// Go's `Values.Table`: the table at a dotted path, or `None` (Helm's `ErrNoTable`) if a
/// step is missing or not a map.
pub(crate) fn lookup_table(table: &Table, path: &str) -> Option<Table> {
    find_table(table, path).ok()
}

/// Go's `Values.Table` with its error: the table at a dotted path, or the first path
/// segment that is missing or not a table (Helm's `ErrNoTable` key).
pub(crate) fn find_table(table: &Table, path: &str) -> Result<Table, String> {
    let mut current = table.clone();
    for step in path.split('.') {
        let next = get(&current, step).ok_or_else(|| step.to_owned())?;
        current = next.as_table().ok_or_else(|| step.to_owned())?.clone();
    }
    Ok(current)
}

/// Go's `Values.PathValue`: the non-map value at a dotted path (`None` for Helm's
/// `ErrNoValue`). A present `null` is returned as `Some(Null)`.
pub(crate) fn path_value(table: &Table, path: &str) -> Option<Value> {
    let (parents, key) = match path.rsplit_once('.') {
        Some((parents, key)) => (Some(parents), key),
        None => (None, path),
    };
    let holder = match parents {
        Some(parents) => lookup_table(table, parents)?,
        None => table.clone(),
    };
    match get(&holder, key)? {
        Node::Plain(v) => Some(v),
        Node::Map(_) => None,
    }
}

/// Frees a table tree without deep recursion: Rust's drop of nested maps recurses once per
/// level, so deep trees are taken apart level by level here.
pub(crate) fn dispose(table: Table) {
    let mut pending = vec![table];
    while let Some(t) = pending.pop() {
        if let Ok(cell) = Rc::try_unwrap(t) {
            for (_, node) in cell.into_inner() {
                match node {
                    Node::Map(child) => pending.push(child),
                    Node::Plain(value) => drop_value(value),
                }
            }
        }
    }
}

/// A deep clone of plain values on a growable stack (serde_json's `clone` recurses per
/// level on the thread's stack).
pub(crate) fn clone_map(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .map(|(k, v)| (k.clone(), clone_value(v)))
        .collect()
}

fn clone_value(value: &Value) -> Value {
    match value {
        Value::Object(map) => grow(|| Value::Object(clone_map(map))),
        Value::Array(items) => grow(|| Value::Array(items.iter().map(clone_value).collect())),
        other => other.clone(),
    }
}

/// Drops a plain value level by level (serde_json's drop recurses per level).
pub(crate) fn drop_value(value: Value) {
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        match v {
            Value::Array(items) => pending.extend(items),
            Value::Object(map) => pending.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}
