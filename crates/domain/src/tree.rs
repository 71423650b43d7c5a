//! The partner hierarchy: which organization sits under which.

use std::collections::HashMap;

use super::{OrgKind, OrgStatus};

/// The structural facts of one organization, enough to place it in the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgNode {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: OrgKind,
    pub status: OrgStatus,
}

/// Every organization's place in the hierarchy, and its name: kept in memory by each
/// instance and reloaded when the hierarchy or a name changes.
#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    nodes: HashMap<i64, OrgNode>,
    children: HashMap<i64, Vec<i64>>,
    names: HashMap<i64, String>,
    vendor: Option<i64>,
}

impl OrgTree {
    pub fn new(nodes: impl IntoIterator<Item = OrgNode>) -> Self {
        let mut tree = OrgTree::default();
        for node in nodes {
            if let Some(parent) = node.parent_id {
                tree.children.entry(parent).or_default().push(node.id);
            }
            tree.nodes.insert(node.id, node);
        }
        for kids in tree.children.values_mut() {
            kids.sort_unstable();
        }
        tree.vendor = tree.nodes.values().filter(|n| n.kind == OrgKind::Vendor).map(|n| n.id).min();
        tree
    }

    /// The same tree, with the organizations' names.
    #[must_use]
    pub fn with_names(mut self, names: impl IntoIterator<Item = (i64, String)>) -> Self {
        self.names.extend(names);
        self
    }

    pub fn name(&self, id: i64) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }

    /// The names of these organizations (those the tree knows), in name order, ties
    /// by id.
    pub fn names_of(&self, ids: impl IntoIterator<Item = i64>) -> Vec<(i64, String)> {
        let mut out: Vec<(i64, String)> =
            ids.into_iter().filter_map(|id| self.name(id).map(|name| (id, name.to_owned()))).collect();
        out.sort_unstable_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        out.dedup_by_key(|(id, _)| *id);
        out
    }

    pub fn get(&self, id: i64) -> Option<&OrgNode> {
        self.nodes.get(&id)
    }

    pub fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.nodes.keys().copied()
    }

    pub fn children(&self, id: i64) -> &[i64] {
        self.children.get(&id).map_or(&[], Vec::as_slice)
    }

    /// The organization's id followed by its ancestors' ids, nearest first. The walk
    /// stops at a repeated id, so a corrupt cycle cannot loop forever.
    pub fn lineage(&self, id: i64) -> Vec<i64> {
        let mut out = Vec::new();
        let mut cursor = self.nodes.get(&id);
        while let Some(node) = cursor {
            if out.contains(&node.id) {
                break;
            }
            out.push(node.id);
            cursor = node.parent_id.and_then(|p| self.nodes.get(&p));
        }
        out
    }

    /// The part of [`OrgTree::lineage`] through which partner roles flow: up to, and
    /// not including, the first suspended organization.
    pub fn active_lineage(&self, id: i64) -> Vec<i64> {
        self.active_ancestors(id).collect()
    }

    /// [`OrgTree::lineage`] without allocating: the organization, then its ancestors,
    /// nearest first. A corrupt cycle ends after as many steps as there are nodes.
    pub fn ancestors(&self, id: i64) -> impl Iterator<Item = i64> + '_ {
        let mut cursor = self.nodes.get(&id);
        let mut left = self.nodes.len();
        std::iter::from_fn(move || {
            let node = cursor.filter(|_| left > 0)?;
            left -= 1;
            cursor = node.parent_id.and_then(|p| self.nodes.get(&p));
            Some(node.id)
        })
    }

    /// [`OrgTree::active_lineage`] without allocating.
    pub fn active_ancestors(&self, id: i64) -> impl Iterator<Item = i64> + '_ {
        self.ancestors(id).take_while(|id| self.nodes.get(id).is_some_and(|n| n.status == OrgStatus::Active))
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The organization and everything beneath it.
    pub fn subtree(&self, id: i64) -> Vec<i64> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![id];
        while let Some(next) = stack.pop() {
            if !self.nodes.contains_key(&next) || !seen.insert(next) {
                continue;
            }
            out.push(next);
            stack.extend(self.children(next).iter().rev());
        }
        out
    }

    pub fn vendor_id(&self) -> Option<i64> {
        self.vendor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: i64, parent_id: Option<i64>, status: OrgStatus) -> OrgNode {
        OrgNode { id, parent_id, kind: OrgKind::Partner, status }
    }

    #[test]
    fn lineage_runs_upwards_and_subtree_downwards() {
        let tree = OrgTree::new([
            node(1, None, OrgStatus::Active),
            node(2, Some(1), OrgStatus::Active),
            node(3, Some(2), OrgStatus::Active),
            node(4, None, OrgStatus::Active),
        ]);
        assert_eq!(tree.lineage(3), vec![3, 2, 1]);
        assert_eq!(tree.subtree(1), vec![1, 2, 3]);
        assert_eq!(tree.subtree(3), vec![3]);
        assert!(tree.lineage(99).is_empty());
    }

    #[test]
    fn roles_stop_flowing_at_a_suspended_org() {
        let tree = OrgTree::new([
            node(1, None, OrgStatus::Active),
            node(2, Some(1), OrgStatus::Suspended),
            node(3, Some(2), OrgStatus::Active),
        ]);
        assert_eq!(tree.active_lineage(3), vec![3]);
        assert!(tree.active_lineage(2).is_empty());
        assert_eq!(tree.lineage(3), vec![3, 2, 1]);
    }

    #[test]
    fn a_cycle_does_not_hang() {
        let tree = OrgTree::new([node(1, Some(2), OrgStatus::Active), node(2, Some(1), OrgStatus::Active)]);
        assert_eq!(tree.lineage(1), vec![1, 2]);
        assert_eq!(tree.subtree(1).len(), 2);
    }
}
