//! A parent/child reference cycle.
//!
//! **Incident shape.** An RPC client registered callbacks that captured the
//! client itself, and the client held the callbacks: a cycle. Python's cycle
//! collector eventually frees such garbage; Rust's `Rc` never does. A tree
//! whose nodes point at their parent with `Rc` and at their children with `Rc`
//! keeps every node alive after the last outside handle is dropped.
//!
//! **Fix.** Ownership flows one way: parents own children (`Rc`), children
//! only observe their parent (`Weak`).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

/// LEAKY: a tree node whose link to its parent is a strong `Rc`.
#[derive(Debug)]
pub struct StrongNode {
    /// The node's label.
    pub name: String,
    parent: RefCell<Option<Rc<StrongNode>>>,
    children: RefCell<Vec<Rc<StrongNode>>>,
}

impl StrongNode {
    /// A node with no parent and no children.
    pub fn new(name: &str) -> Rc<Self> {
        Rc::new(StrongNode {
            name: name.to_owned(),
            parent: RefCell::new(None),
            children: RefCell::new(Vec::new()),
        })
    }

    /// Adds `child` under `parent`, linking both ways with `Rc`.
    pub fn adopt(parent: &Rc<Self>, child: Rc<Self>) {
        *child.parent.borrow_mut() = Some(Rc::clone(parent));
        parent.children.borrow_mut().push(child);
    }

    /// The parent's name, if any.
    pub fn parent_name(&self) -> Option<String> {
        self.parent.borrow().as_ref().map(|p| p.name.clone())
    }
}

/// FIXED: a tree node whose link to its parent is a `Weak`.
#[derive(Debug)]
pub struct Node {
    /// The node's label.
    pub name: String,
    parent: RefCell<Weak<Node>>,
    children: RefCell<Vec<Rc<Node>>>,
}

impl Node {
    /// A node with no parent and no children.
    pub fn new(name: &str) -> Rc<Self> {
        Rc::new(Node {
            name: name.to_owned(),
            parent: RefCell::new(Weak::new()),
            children: RefCell::new(Vec::new()),
        })
    }

    /// Adds `child` under `parent`; the child only holds a `Weak` back.
    pub fn adopt(parent: &Rc<Self>, child: Rc<Self>) {
        *child.parent.borrow_mut() = Rc::downgrade(parent);
        parent.children.borrow_mut().push(child);
    }

    /// The parent's name, if the parent is still alive.
    pub fn parent_name(&self) -> Option<String> {
        self.parent.borrow().upgrade().map(|p| p.name.clone())
    }
}

/// LEAKY: builds a folder with `children` entries and drops it. Every node
/// survives: each child keeps the folder alive and the folder keeps the child.
pub fn build_and_drop_strong_tree(children: usize) -> usize {
    let root = StrongNode::new("folder");
    for i in 0..children {
        StrongNode::adopt(&root, StrongNode::new(&format!("entry-{i}")));
    }
    let seen = root.children.borrow().len();
    seen
}

/// FIXED: the same tree with `Weak` parent links; dropping the root frees all.
pub fn build_and_drop_tree(children: usize) -> usize {
    let root = Node::new("folder");
    for i in 0..children {
        Node::adopt(&root, Node::new(&format!("entry-{i}")));
    }
    let seen = root.children.borrow().len();
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_links_let_the_tree_go() {
        let root = Node::new("root");
        let child = Node::new("child");
        Node::adopt(&root, Rc::clone(&child));
        assert_eq!(child.parent_name().as_deref(), Some("root"));
        drop(root);
        assert_eq!(child.parent_name(), None);
    }

    #[test]
    fn strong_links_keep_the_tree() {
        let root = StrongNode::new("root");
        let child = StrongNode::new("child");
        StrongNode::adopt(&root, Rc::clone(&child));
        let watch = Rc::downgrade(&root);
        drop(root);
        assert_eq!(child.parent_name().as_deref(), Some("root"));
        assert!(watch.upgrade().is_some());
    }
}
