//! Values trees with Go's reference semantics for maps, which Helm's coalescing relies on.
//!
//! Helm's `coalesce.go` and `dependencies.go` share map objects between places in a values
//! tree (a shallow `copyMap` of a global table, a child table stored into a parent without
//! copying) and then merge into them, so a later merge can show up in every place holding the
//! same map (for example a subchart's nested global default appearing in the parent's
//! `global`). A [`Table`] is such a shared map; [`Node`] is a value whose maps are shared.
//! Lists and scalars are never changed in place by those algorithms, so sharing them is the
//! same as copying them: they are held behind an `Rc`, as are keys, so that snapshots of a
//! table's entries and copies of a tree only copy maps. All recursion runs on a growable stack
//! (`stacker`) so deep values cannot overflow the thread's stack.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{Map, Value};

/// A key of a [`Table`], shared between copies of the table.
pub(crate) type Key = Rc<str>;

/// A Go `map[string]interface{}`: cloning the handle shares the map.
pub(crate) type Table = Rc<RefCell<BTreeMap<Key, Node>>>;

/// A Go `interface{}` in a values tree.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// Anything but a map (`nil`, bool, number, string, list), never changed in place.
    Plain(Rc<Value>),
    /// A map, held by reference.
    Map(Table),
}

impl Node {
    /// A node holding `value` (a map too is held as a plain value: use [`from_value`] to
    /// make its maps tables).
    pub(crate) fn plain(value: Value) -> Node {
        Node::Plain(Rc::new(value))
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Node::Plain(v) if v.is_null())
    }

    pub(crate) fn as_table(&self) -> Option<&Table> {
        match self {
            Node::Map(t) => Some(t),
            Node::Plain(_) => None,
        }
    }

    /// The value of a non-map node.
    pub(crate) fn as_plain(&self) -> Option<&Value> {
        match self {
            Node::Plain(v) => Some(v),
            Node::Map(_) => None,
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
    let table: BTreeMap<Key, Node> = map
        .iter()
        .map(|(k, v)| (Key::from(k.as_str()), from_value(v)))
        .collect();
    Rc::new(RefCell::new(table))
}

/// A fresh node for `value`.
pub(crate) fn from_value(value: &Value) -> Node {
    match value {
        Value::Object(map) => grow(|| Node::Map(from_map(map))),
        other => Node::plain(other.clone()),
    }
}

/// The tree as plain values, taking it apart: a table or value no longer shared elsewhere is
/// moved, not copied. `None` when it nests deeper than `limit` (only a reference cycle could
/// make it so).
pub(crate) fn into_map(table: Table, limit: usize) -> Option<Map<String, Value>> {
    let entries: Vec<(Key, Node)> = match Rc::try_unwrap(table) {
        Ok(cell) => cell.into_inner().into_iter().collect(),
        Err(shared) => entries(&shared),
    };
    let mut out = Map::new();
    let mut entries = entries.into_iter();
    while let Some((k, v)) = entries.next() {
        match into_value(v, limit) {
            Some(value) => {
                out.insert(String::from(&*k), value);
            }
            None => {
                // Take the rest apart level by level (deep, by the limit).
                entries.for_each(|(_, node)| dispose_node(node));
                drop_value(Value::Object(out));
                return None;
            }
        }
    }
    Some(out)
}

fn into_value(node: Node, limit: usize) -> Option<Value> {
    match node {
        Node::Plain(v) => Some(Rc::try_unwrap(v).unwrap_or_else(|shared| (*shared).clone())),
        Node::Map(t) => {
            let Some(limit) = limit.checked_sub(1) else {
                dispose(t);
                return None;
            };
            grow(|| into_map(t, limit).map(Value::Object))
        }
    }
}

/// A deep copy with no maps shared (Go: `copystructure.Copy`); lists and scalars, which are
/// never changed in place, are shared with `table`. `None` when it nests deeper than `limit`.
pub(crate) fn deep_copy(table: &Table, limit: usize) -> Option<Table> {
    let mut copy = BTreeMap::new();
    for (key, node) in entries(table) {
        let node = match node {
            Node::Plain(v) => Node::Plain(v),
            Node::Map(t) => match limit
                .checked_sub(1)
                .and_then(|limit| grow(|| deep_copy(&t, limit)))
            {
                Some(t) => Node::Map(t),
                None => {
                    dispose(Rc::new(RefCell::new(copy)));
                    return None;
                }
            },
        };
        copy.insert(key, node);
    }
    Some(Rc::new(RefCell::new(copy)))
}

/// Snapshot of a table's entries (Go ranges over a map while the loop body changes other
/// maps; a snapshot keeps the borrow short).
pub(crate) fn entries(table: &Table) -> Vec<(Key, Node)> {
    table
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

pub(crate) fn get(table: &Table, key: &str) -> Option<Node> {
    table.borrow().get(key).cloned()
}

pub(crate) fn insert(table: &Table, key: impl Into<Key>, node: Node) {
    table.borrow_mut().insert(key.into(), node);
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
    get(&holder, key)?.as_plain().cloned()
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
                    Node::Plain(value) => drop_plain(value),
                }
            }
        }
    }
}

/// [`dispose`] for any node.
fn dispose_node(node: Node) {
    match node {
        Node::Map(t) => dispose(t),
        Node::Plain(value) => drop_plain(value),
    }
}

/// Drops a shared plain value, level by level when this was its last holder.
fn drop_plain(value: Rc<Value>) {
    if let Ok(value) = Rc::try_unwrap(value) {
        drop_value(value);
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

#[cfg(test)]
#[allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a failed expectation is a failed test"
)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map_of(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not a map: {other}"),
        }
    }

    #[test]
    fn a_table_shared_at_two_paths_converts_at_both() {
        let shared = from_map(&map_of(json!({"list": [1, 2], "name": "x"})));
        let root = new_table();
        insert(&root, "a", Node::Map(shared.clone()));
        insert(&root, "b", Node::Map(shared.clone()));
        drop(shared);
        let plain = into_map(root, 10).expect("not too deep");
        let expected = json!({"list": [1, 2], "name": "x"});
        assert_eq!(plain["a"], expected);
        assert_eq!(plain["b"], expected);
    }

    #[test]
    fn deep_copies_share_no_maps_but_share_plain_values() {
        let original = from_map(&map_of(json!({"sub": {"list": [1], "n": 1}})));
        let copy = deep_copy(&original, 10).expect("not too deep");
        let copy_sub = get(&copy, "sub")
            .and_then(|n| n.as_table().cloned())
            .unwrap();
        let original_sub = get(&original, "sub")
            .and_then(|n| n.as_table().cloned())
            .unwrap();
        assert!(!Rc::ptr_eq(&copy_sub, &original_sub));
        match (get(&copy_sub, "list"), get(&original_sub, "list")) {
            (Some(Node::Plain(a)), Some(Node::Plain(b))) => assert!(Rc::ptr_eq(&a, &b)),
            other => panic!("lists not plain: {other:?}"),
        }
        insert(&copy_sub, "n", Node::plain(json!(2)));
        assert_eq!(
            into_map(original, 10).unwrap(),
            map_of(json!({"sub": {"list": [1], "n": 1}}))
        );
        assert_eq!(
            into_map(copy, 10).unwrap(),
            map_of(json!({"sub": {"list": [1], "n": 2}}))
        );
    }

    #[test]
    fn conversions_stop_at_the_depth_limit() {
        let deep = from_map(&map_of(json!({"a": {"b": {"c": {"d": 1}}}, "z": [1]})));
        assert!(deep_copy(&deep, 2).is_none());
        assert!(deep_copy(&deep, 3).is_some());
        assert!(into_map(deep.clone(), 2).is_none());
        assert_eq!(
            into_map(deep, 3).unwrap(),
            map_of(json!({"a": {"b": {"c": {"d": 1}}}, "z": [1]}))
        );
    }
}
