//! [`Map`], the map with string keys inside a [`Value`].
//!
//! Most record values are small objects: a dozen fields or fewer. For them a hash table
//! costs more than it saves: each key is hashed on insert, the table is a second
//! allocation, and every entry carries its hash. So a small map is a plain vector of
//! entries searched front to back, and only a map that grows past [`INDEX_FROM`] entries
//! becomes an [`IndexMap`], whose lookups stay constant-time however wide a record is.
//! Both keep insertion order.

use std::fmt;

use compact_str::CompactString;
use indexmap::IndexMap;

use crate::value::Value;

/// From this many entries on, a map is indexed by a hash table. Below it, comparing a key
/// against every entry is cheaper than hashing it.
pub const INDEX_FROM: usize = 16;

/// The hashed form. foldhash keeps per-map random seeds, so hostile keys cannot force
/// collisions.
type Indexed = IndexMap<CompactString, Value, foldhash::fast::RandomState>;

/// A map with string keys that keeps the order in which keys were first inserted.
///
/// Equality ignores order, as for JSON objects: two maps are equal when they hold the same
/// keys with equal values.
#[derive(Clone)]
pub struct Map(Repr);

#[derive(Clone)]
enum Repr {
    Small(Vec<(CompactString, Value)>),
    Large(Box<Indexed>),
}

impl Default for Map {
    fn default() -> Self {
        Self::new()
    }
}

impl Map {
    /// An empty map; it allocates on the first insert.
    pub fn new() -> Self {
        Map(Repr::Small(Vec::new()))
    }

    /// An empty map with room for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        if capacity > INDEX_FROM {
            let hasher = foldhash::fast::RandomState::default();
            Map(Repr::Large(Box::new(Indexed::with_capacity_and_hasher(
                capacity, hasher,
            ))))
        } else {
            Map(Repr::Small(Vec::with_capacity(capacity)))
        }
    }

    /// How many entries the map holds.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Small(v) => v.len(),
            Repr::Large(m) => m.len(),
        }
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match &self.0 {
            Repr::Small(v) => v.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Repr::Large(m) => m.get(key),
        }
    }

    /// The value of `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match &mut self.0 {
            Repr::Small(v) => v.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            Repr::Large(m) => m.get_mut(key),
        }
    }

    /// Whether `key` is in the map.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`. A key already present keeps its position and its old value is
    /// returned; a new key goes last.
    pub fn insert(&mut self, key: CompactString, value: Value) -> Option<Value> {
        let entries = match &mut self.0 {
            Repr::Large(m) => return m.insert(key, value),
            Repr::Small(entries) => entries,
        };
        if let Some((_, old)) = entries.iter_mut().find(|(k, _)| *k == key) {
            return Some(std::mem::replace(old, value));
        }
        entries.push((key, value));
        if entries.len() > INDEX_FROM {
            self.index();
        }
        None
    }

    /// Turns a small map into an indexed one.
    fn index(&mut self) {
        if let Repr::Small(entries) = &mut self.0 {
            let entries = std::mem::take(entries);
            let mut indexed =
                Indexed::with_capacity_and_hasher(entries.len() * 2, Default::default());
            indexed.extend(entries);
            self.0 = Repr::Large(Box::new(indexed));
        }
    }

    /// Removes `key` and returns its value; the last entry takes its place, so this is
    /// cheap but changes the order.
    pub fn swap_remove(&mut self, key: &str) -> Option<Value> {
        match &mut self.0 {
            Repr::Small(v) => {
                let i = v.iter().position(|(k, _)| k == key)?;
                Some(v.swap_remove(i).1)
            }
            Repr::Large(m) => m.swap_remove(key),
        }
    }

    /// Removes `key` and returns its value; the entries after it move up, so the order of
    /// the others is kept.
    pub fn shift_remove(&mut self, key: &str) -> Option<Value> {
        match &mut self.0 {
            Repr::Small(v) => {
                let i = v.iter().position(|(k, _)| k == key)?;
                Some(v.remove(i).1)
            }
            Repr::Large(m) => m.shift_remove(key),
        }
    }

    /// Keeps only the entries for which `keep` holds, in their order.
    pub fn retain(&mut self, mut keep: impl FnMut(&CompactString, &mut Value) -> bool) {
        match &mut self.0 {
            Repr::Small(v) => v.retain_mut(|(k, v)| keep(k, v)),
            Repr::Large(m) => m.retain(|k, v| keep(k, v)),
        }
    }

    /// The entries in order.
    pub fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Small(v) => Iter::Small(v.iter()),
            Repr::Large(m) => Iter::Large(m.iter()),
        }
    }

    /// The entries in order, with values to change.
    pub fn iter_mut(&mut self) -> IterMut<'_> {
        match &mut self.0 {
            Repr::Small(v) => IterMut::Small(v.iter_mut()),
            Repr::Large(m) => IterMut::Large(m.iter_mut()),
        }
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &CompactString> {
        self.iter().map(|(k, _)| k)
    }

    /// The values in order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.iter().map(|(_, v)| v)
    }
}

/// The entries of a [`Map`] in order.
pub enum Iter<'a> {
    /// Of a small map.
    #[doc(hidden)]
    Small(std::slice::Iter<'a, (CompactString, Value)>),
    /// Of an indexed map.
    #[doc(hidden)]
    Large(indexmap::map::Iter<'a, CompactString, Value>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a CompactString, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Small(i) => i.next().map(|(k, v)| (k, v)),
            Iter::Large(i) => i.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Small(i) => i.size_hint(),
            Iter::Large(i) => i.size_hint(),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The entries of a [`Map`] in order, with values to change.
pub enum IterMut<'a> {
    /// Of a small map.
    #[doc(hidden)]
    Small(std::slice::IterMut<'a, (CompactString, Value)>),
    /// Of an indexed map.
    #[doc(hidden)]
    Large(indexmap::map::IterMut<'a, CompactString, Value>),
}

impl<'a> Iterator for IterMut<'a> {
    type Item = (&'a CompactString, &'a mut Value);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            IterMut::Small(i) => i.next().map(|(k, v)| (&*k, v)),
            IterMut::Large(i) => i.next(),
        }
    }
}

/// The entries of a [`Map`] in order, taken out of it.
pub enum IntoIter {
    /// Of a small map.
    #[doc(hidden)]
    Small(std::vec::IntoIter<(CompactString, Value)>),
    /// Of an indexed map.
    #[doc(hidden)]
    Large(indexmap::map::IntoIter<CompactString, Value>),
}

impl Iterator for IntoIter {
    type Item = (CompactString, Value);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            IntoIter::Small(i) => i.next(),
            IntoIter::Large(i) => i.next(),
        }
    }
}

impl IntoIterator for Map {
    type Item = (CompactString, Value);
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        match self.0 {
            Repr::Small(v) => IntoIter::Small(v.into_iter()),
            Repr::Large(m) => IntoIter::Large(m.into_iter()),
        }
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a CompactString, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl Extend<(CompactString, Value)> for Map {
    fn extend<I: IntoIterator<Item = (CompactString, Value)>>(&mut self, items: I) {
        for (k, v) in items {
            self.insert(k, v);
        }
    }
}

impl FromIterator<(CompactString, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (CompactString, Value)>>(items: I) -> Self {
        let mut map = Map::new();
        map.extend(items);
        map
    }
}

impl PartialEq for Map {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: usize) -> CompactString {
        format!("field{i}").into()
    }

    #[test]
    fn order_and_replacement_hold_on_both_sides_of_the_index() {
        for n in [3, INDEX_FROM, INDEX_FROM + 1, 100] {
            let mut m = Map::new();
            for i in 0..n {
                assert_eq!(m.insert(key(i), Value::Int(i as i64)), None);
            }
            assert_eq!(m.insert(key(1), Value::Int(-1)), Some(Value::Int(1)));
            assert_eq!(m.len(), n);
            let keys: Vec<String> = m.keys().map(|k| k.to_string()).collect();
            let expected: Vec<String> = (0..n).map(|i| key(i).to_string()).collect();
            assert_eq!(keys, expected, "n = {n}");
            assert_eq!(m.get("field1"), Some(&Value::Int(-1)));
            assert_eq!(m.get("nope"), None);
        }
    }

    #[test]
    fn removal_keeps_or_swaps_order_as_named() {
        for n in [5, 40] {
            let mut m: Map = (0..n).map(|i| (key(i), Value::Int(i as i64))).collect();
            assert_eq!(m.shift_remove("field1"), Some(Value::Int(1)));
            assert_eq!(m.keys().nth(1).map(|k| k.as_str()), Some("field2"));
            assert_eq!(m.swap_remove("field0"), Some(Value::Int(0)));
            let last = key(n - 1);
            assert_eq!(m.keys().next(), Some(&last));
            assert_eq!(m.len(), n - 2);
            assert_eq!(m.swap_remove("field0"), None);
        }
    }

    #[test]
    fn equality_ignores_order() {
        let a: Map = [("x".into(), Value::Int(1)), ("y".into(), Value::Int(2))]
            .into_iter()
            .collect();
        let b: Map = [("y".into(), Value::Int(2)), ("x".into(), Value::Int(1))]
            .into_iter()
            .collect();
        let c: Map = [("y".into(), Value::Int(2))].into_iter().collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
