//! Allocation of logged hours to requirements (§3.3 step 5), exact.
//!
//! The allocator works on a *concrete* problem: slices of hours (one per
//! activity × topic) and groups of slices (minimums, caps, partition
//! buckets) whose membership is already resolved. It maximises, in this
//! order:
//!
//! 1. the hours filling minimums, `Σ min(counted in M, required M)` over all
//!    minimums (subset mode; a nested minimum counts again inside its parent);
//! 2. the hours counted in total (subset) or placed in buckets (partition);
//! 3. as a tie-break only, earlier slices over later ones (input order).
//!
//! **Subset mode** accepts any family of minimums and caps that splits into
//! two laminar families (each family's sets are pairwise nested or disjoint),
//! e.g. topic-based groups on one side and delivery- or day-based groups on
//! the other. Such a problem is a network flow: source → family A tree (top
//! down) → slice edge → family B tree (bottom up) → sink, and a min-cost flow
//! solves the lexicographic objective exactly (integral, since all
//! capacities are integers in hundredths of an hour). Minimums are a pair of
//! parallel edges: one of capacity `required` with a large bonus, one
//! uncapped. Three pairwise-crossing groups are rejected
//! ([`AllocError::NotTwoFamilies`]); rule files are checked for this at load.
//!
//! **Partition mode** is a bipartite flow: source → caps tree (laminar) →
//! slice → any bucket the slice matches → sink (capacity = bucket hours).

use std::collections::VecDeque;
use std::fmt;

use super::flow::{EdgeId, Network};
use super::hours::Hours;

/// How category hours relate to the total (§1c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Buckets are separate pieces that add up to the total.
    Partition,
    /// Minimums are portions of the total; one hour counts for both.
    Subset,
}

/// A set of slices with an hour figure (required for minimums and buckets,
/// allowed for caps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Indices of member slices.
    pub members: Vec<usize>,
    /// Hours.
    pub hours: Hours,
}

/// One allocation problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Partition or subset.
    pub mode: Mode,
    /// Hours available in each slice.
    pub slices: Vec<Hours>,
    /// Buckets (partition mode only).
    pub buckets: Vec<Group>,
    /// Minimums (subset mode only).
    pub mins: Vec<Group>,
    /// Caps (both modes).
    pub caps: Vec<Group>,
}

/// Names a group of a [`Problem`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupRef {
    /// `mins[i]`.
    Min(usize),
    /// `caps[i]`.
    Cap(usize),
    /// `buckets[i]`.
    Bucket(usize),
}

/// Why some hours of a slice were not counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// `caps[i]` is full.
    Cap(usize),
    /// Every bucket the slice may fill is full (bucket indices).
    BucketsFull(Vec<usize>),
    /// The slice matches no bucket.
    NoBucket,
    /// Not explained by a single full group (should not happen).
    Unexplained,
}

/// The result of an allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocation {
    /// Hours counted from each slice.
    pub counted: Vec<Hours>,
    /// Partition mode: for each slice, the hours placed in each bucket.
    pub placed: Vec<Vec<(usize, Hours)>>,
    /// Hours counted inside each minimum.
    pub min_counted: Vec<Hours>,
    /// Hours counted inside each cap.
    pub cap_counted: Vec<Hours>,
    /// Hours placed in each bucket.
    pub bucket_filled: Vec<Hours>,
    /// Total counted.
    pub total: Hours,
    /// For each slice with hours left over, why.
    pub blocked: Vec<Option<Block>>,
}

impl Allocation {
    /// The objective the allocator maximises: (minimum fill, total).
    pub fn objective(&self, problem: &Problem) -> (Hours, Hours) {
        let fill = problem
            .mins
            .iter()
            .zip(&self.min_counted)
            .map(|(m, c)| (*c).min(m.hours))
            .sum();
        (fill, self.total)
    }
}

/// A problem the allocator cannot represent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// Minimums were given in partition mode (use buckets).
    MinsInPartition,
    /// In partition mode, caps must be pairwise nested or disjoint.
    CapsCross(GroupRef, GroupRef),
    /// The groups do not split into two laminar families (an odd cycle of
    /// crossing groups, e.g. three groups crossing pairwise); one crossing
    /// pair on that cycle is named.
    NotTwoFamilies(GroupRef, GroupRef),
    /// A group names a slice that does not exist.
    BadMember(GroupRef, usize),
    /// Negative hours.
    NegativeHours,
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocError::MinsInPartition => {
                f.write_str("minimums are not allowed in partition mode")
            }
            AllocError::CapsCross(a, b) => {
                write!(
                    f,
                    "caps {a:?} and {b:?} overlap without nesting (partition mode)"
                )
            }
            AllocError::NotTwoFamilies(a, b) => write!(
                f,
                "groups {a:?} and {b:?} lie on an odd cycle of crossing groups; \
                 at most two crossing families are supported"
            ),
            AllocError::BadMember(g, i) => write!(f, "group {g:?} names missing slice {i}"),
            AllocError::NegativeHours => f.write_str("negative hours"),
        }
    }
}

impl std::error::Error for AllocError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rel {
    Disjoint,
    Within,
    Contains,
    Crossing,
}

fn relation(a: &[usize], b: &[usize]) -> Rel {
    // both sorted, deduplicated
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    if common == 0 {
        Rel::Disjoint
    } else if common == a.len() {
        Rel::Within
    } else if common == b.len() {
        Rel::Contains
    } else {
        Rel::Crossing
    }
}

struct Member {
    gref: GroupRef,
    set: Vec<usize>,
    hours: i64,
}

/// A laminar family arranged as a forest under a virtual root.
struct Tree {
    /// Indices into the member list, in order (supersets first).
    order: Vec<usize>,
    /// Parent of each ordered position (None = root).
    parent: Vec<Option<usize>>,
    /// For each slice, the deepest ordered position containing it.
    leaf: Vec<Option<usize>>,
}

fn build_tree(members: &[Member], family: &[usize], slices: usize) -> Tree {
    let mut order: Vec<usize> = family.to_vec();
    order.sort_by(|&x, &y| {
        members[y]
            .set
            .len()
            .cmp(&members[x].set.len())
            .then(members[x].gref.cmp(&members[y].gref))
    });
    let mut parent = Vec::with_capacity(order.len());
    for (pos, &g) in order.iter().enumerate() {
        let p = (0..pos)
            .rev()
            .find(|&q| relation(&members[g].set, &members[order[q]].set) == Rel::Within);
        parent.push(p);
    }
    let mut leaf = vec![None; slices];
    for (pos, &g) in order.iter().enumerate() {
        for &s in &members[g].set {
            leaf[s] = Some(pos);
        }
    }
    Tree {
        order,
        parent,
        leaf,
    }
}

fn check_and_collect(problem: &Problem) -> Result<Vec<Member>, AllocError> {
    if problem.slices.iter().any(|h| h.centi() < 0) {
        return Err(AllocError::NegativeHours);
    }
    let mut out = Vec::new();
    let mut push = |gref: GroupRef, g: &Group| -> Result<(), AllocError> {
        let mut set = g.members.clone();
        set.sort_unstable();
        set.dedup();
        if let Some(&bad) = set.iter().find(|&&i| i >= problem.slices.len()) {
            return Err(AllocError::BadMember(gref, bad));
        }
        if g.hours.centi() < 0 {
            return Err(AllocError::NegativeHours);
        }
        out.push(Member {
            gref,
            set,
            hours: g.hours.centi(),
        });
        Ok(())
    };
    for (i, g) in problem.mins.iter().enumerate() {
        push(GroupRef::Min(i), g)?;
    }
    for (i, g) in problem.caps.iter().enumerate() {
        push(GroupRef::Cap(i), g)?;
    }
    Ok(out)
}

/// Splits groups into two laminar families (2-colouring of the crossing graph).
fn two_families(members: &[Member]) -> Result<[Vec<usize>; 2], AllocError> {
    let n = members.len();
    let mut adj = vec![Vec::new(); n];
    for a in 0..n {
        for b in a + 1..n {
            if relation(&members[a].set, &members[b].set) == Rel::Crossing {
                adj[a].push(b);
                adj[b].push(a);
            }
        }
    }
    let mut colour: Vec<Option<u8>> = vec![None; n];
    for start in 0..n {
        if colour[start].is_some() {
            continue;
        }
        colour[start] = Some(0);
        let mut queue = VecDeque::from([start]);
        while let Some(u) = queue.pop_front() {
            let cu = colour[u].unwrap_or(0);
            for &v in &adj[u] {
                match colour[v] {
                    None => {
                        colour[v] = Some(1 - cu);
                        queue.push_back(v);
                    }
                    Some(cv) if cv == cu => {
                        return Err(AllocError::NotTwoFamilies(members[u].gref, members[v].gref));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    let mut fam = [Vec::new(), Vec::new()];
    for (i, c) in colour.iter().enumerate() {
        fam[usize::from(c.unwrap_or(0))].push(i);
    }
    Ok(fam)
}

struct Weights {
    inf: i64,
    big: i128,
    per_unit: i128,
}

fn weights(problem: &Problem) -> Weights {
    let u: i128 = problem.slices.iter().map(|h| h.centi() as i128).sum();
    let n = problem.slices.len() as i128;
    let per_unit = n * u + 1;
    let big = (per_unit + n) * u + 1;
    let inf = i64::try_from(u + 1).unwrap_or(i64::MAX / 4);
    Weights { inf, big, per_unit }
}

/// Edges that carry one group's flow.
struct GroupEdges {
    edges: Vec<EdgeId>,
}

fn add_group_edges(
    g: &mut Network,
    from: usize,
    to: usize,
    member: &Member,
    w: &Weights,
) -> GroupEdges {
    match member.gref {
        GroupRef::Min(_) => {
            let bonus = g.add_edge(from, to, member.hours.min(w.inf), -w.big);
            let rest = g.add_edge(from, to, w.inf, 0);
            GroupEdges {
                edges: vec![bonus, rest],
            }
        }
        _ => GroupEdges {
            edges: vec![g.add_edge(from, to, member.hours, 0)],
        },
    }
}

fn group_flow(g: &Network, e: &GroupEdges) -> i64 {
    e.edges.iter().map(|x| g.flow(*x)).sum()
}

/// Allocates hours. See the module documentation for the objective.
pub fn allocate(problem: &Problem) -> Result<Allocation, AllocError> {
    match problem.mode {
        Mode::Subset => allocate_subset(problem),
        Mode::Partition => allocate_partition(problem),
    }
}

fn allocate_subset(problem: &Problem) -> Result<Allocation, AllocError> {
    let members = check_and_collect(problem)?;
    let fams = two_families(&members)?;
    let n = problem.slices.len();
    let trees = [
        build_tree(&members, &fams[0], n),
        build_tree(&members, &fams[1], n),
    ];
    let w = weights(problem);

    let (s, t) = (0, 1);
    let roots = [2, 3];
    let mut g = Network::new(4);
    g.add_edge(s, roots[0], w.inf, 0);
    g.add_edge(roots[1], t, w.inf, 0);

    let mut group_edges: Vec<Option<GroupEdges>> = (0..members.len()).map(|_| None).collect();
    let mut fam_nodes: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for f in 0..2 {
        for _ in &trees[f].order {
            fam_nodes[f].push(g.add_node());
        }
        for (pos, &m) in trees[f].order.iter().enumerate() {
            let parent_node = trees[f].parent[pos].map_or(roots[f], |p| fam_nodes[f][p]);
            let me = fam_nodes[f][pos];
            let (from, to) = if f == 0 {
                (parent_node, me)
            } else {
                (me, parent_node)
            };
            group_edges[m] = Some(add_group_edges(&mut g, from, to, &members[m], &w));
        }
    }

    let mut slice_edges = Vec::with_capacity(n);
    for (i, h) in problem.slices.iter().enumerate() {
        let a = trees[0].leaf[i].map_or(roots[0], |p| fam_nodes[0][p]);
        let b = trees[1].leaf[i].map_or(roots[1], |p| fam_nodes[1][p]);
        slice_edges.push(g.add_edge(a, b, h.centi(), -w.per_unit + i as i128));
    }
    g.min_cost_flow(s, t);

    let counted: Vec<Hours> = slice_edges
        .iter()
        .map(|e| Hours::from_centi(g.flow(*e)))
        .collect();
    let mut min_counted = vec![Hours::ZERO; problem.mins.len()];
    let mut cap_counted = vec![Hours::ZERO; problem.caps.len()];
    let mut full = vec![false; members.len()];
    for (m, member) in members.iter().enumerate() {
        let flow = group_edges[m].as_ref().map_or(0, |e| group_flow(&g, e));
        match member.gref {
            GroupRef::Min(i) => min_counted[i] = Hours::from_centi(flow),
            GroupRef::Cap(i) => {
                cap_counted[i] = Hours::from_centi(flow);
                full[m] = flow >= member.hours;
            }
            GroupRef::Bucket(_) => {}
        }
    }
    let blocked = (0..n)
        .map(|i| {
            if counted[i] >= problem.slices[i] {
                return None;
            }
            for tree in &trees {
                let mut pos = tree.leaf[i];
                while let Some(p) = pos {
                    let m = tree.order[p];
                    if full[m]
                        && let GroupRef::Cap(c) = members[m].gref
                    {
                        return Some(Block::Cap(c));
                    }
                    pos = tree.parent[p];
                }
            }
            Some(Block::Unexplained)
        })
        .collect();
    let total = counted.iter().copied().sum();
    Ok(Allocation {
        placed: vec![Vec::new(); n],
        counted,
        min_counted,
        cap_counted,
        bucket_filled: Vec::new(),
        total,
        blocked,
    })
}

fn allocate_partition(problem: &Problem) -> Result<Allocation, AllocError> {
    if !problem.mins.is_empty() {
        return Err(AllocError::MinsInPartition);
    }
    let members = check_and_collect(problem)?;
    for a in 0..members.len() {
        for b in a + 1..members.len() {
            if relation(&members[a].set, &members[b].set) == Rel::Crossing {
                return Err(AllocError::CapsCross(members[a].gref, members[b].gref));
            }
        }
    }
    let bucket_sets = bucket_sets(problem)?;
    let n = problem.slices.len();
    let all: Vec<usize> = (0..members.len()).collect();
    let tree = build_tree(&members, &all, n);
    let PartitionFlow {
        g,
        cap_edges,
        bucket_edges,
        slice_in,
        slice_out,
    } = solve_partition(problem, &members, &tree, &bucket_sets);

    let counted: Vec<Hours> = slice_in
        .iter()
        .map(|e| Hours::from_centi(g.flow(*e)))
        .collect();
    let placed: Vec<Vec<(usize, Hours)>> = slice_out
        .iter()
        .map(|outs| {
            outs.iter()
                .filter(|(_, e)| g.flow(*e) > 0)
                .map(|(b, e)| (*b, Hours::from_centi(g.flow(*e))))
                .collect()
        })
        .collect();
    let bucket_filled: Vec<Hours> = bucket_edges
        .iter()
        .map(|e| Hours::from_centi(g.flow(*e)))
        .collect();
    let mut cap_counted = vec![Hours::ZERO; problem.caps.len()];
    let mut full = vec![false; members.len()];
    for (m, member) in members.iter().enumerate() {
        let flow = cap_edges[m].as_ref().map_or(0, |e| group_flow(&g, e));
        if let GroupRef::Cap(i) = member.gref {
            cap_counted[i] = Hours::from_centi(flow);
            full[m] = flow >= member.hours;
        }
    }
    let blocked = (0..n)
        .map(|i| {
            if counted[i] >= problem.slices[i] {
                return None;
            }
            Some(partition_block(
                problem,
                &members,
                &tree,
                &full,
                &bucket_filled,
                &slice_out[i],
                i,
            ))
        })
        .collect();
    let total = bucket_filled.iter().copied().sum();
    Ok(Allocation {
        counted,
        placed,
        min_counted: Vec::new(),
        cap_counted,
        bucket_filled,
        total,
        blocked,
    })
}

/// Why slice `i` (bucket edges `outs`) was not counted in full: a full cap, no bucket, or full buckets.
fn partition_block(
    problem: &Problem,
    members: &[Member],
    tree: &Tree,
    full: &[bool],
    bucket_filled: &[Hours],
    outs: &[(usize, EdgeId)],
    i: usize,
) -> Block {
    let mut pos = tree.leaf[i];
    while let Some(p) = pos {
        let m = tree.order[p];
        if full[m]
            && let GroupRef::Cap(c) = members[m].gref
        {
            return Block::Cap(c);
        }
        pos = tree.parent[p];
    }
    let mine: Vec<usize> = outs.iter().map(|(b, _)| *b).collect();
    if mine.is_empty() {
        Block::NoBucket
    } else if mine
        .iter()
        .all(|&b| bucket_filled[b] >= problem.buckets[b].hours)
    {
        Block::BucketsFull(mine)
    } else {
        Block::Unexplained
    }
}

/// Each bucket's member slices, sorted and deduplicated, after checking members and hours.
fn bucket_sets(problem: &Problem) -> Result<Vec<Vec<usize>>, AllocError> {
    let mut bucket_sets = Vec::with_capacity(problem.buckets.len());
    for (i, b) in problem.buckets.iter().enumerate() {
        let mut set = b.members.clone();
        set.sort_unstable();
        set.dedup();
        if let Some(&bad) = set.iter().find(|&&x| x >= problem.slices.len()) {
            return Err(AllocError::BadMember(GroupRef::Bucket(i), bad));
        }
        if b.hours.centi() < 0 {
            return Err(AllocError::NegativeHours);
        }
        bucket_sets.push(set);
    }
    Ok(bucket_sets)
}

/// A solved partition-mode network and the edges its results are read from.
struct PartitionFlow {
    g: Network,
    cap_edges: Vec<Option<GroupEdges>>,
    bucket_edges: Vec<EdgeId>,
    slice_in: Vec<EdgeId>,
    slice_out: Vec<Vec<(usize, EdgeId)>>,
}

/// Builds and solves the partition-mode flow: source → caps tree → slice → matching buckets → sink.
fn solve_partition(
    problem: &Problem,
    members: &[Member],
    tree: &Tree,
    bucket_sets: &[Vec<usize>],
) -> PartitionFlow {
    let w = weights(problem);
    let (s, t, root) = (0, 1, 2);
    let mut g = Network::new(3);
    g.add_edge(s, root, w.inf, 0);
    let mut cap_nodes = Vec::new();
    let mut cap_edges: Vec<Option<GroupEdges>> = (0..members.len()).map(|_| None).collect();
    for _ in &tree.order {
        cap_nodes.push(g.add_node());
    }
    for (pos, &m) in tree.order.iter().enumerate() {
        let parent = tree.parent[pos].map_or(root, |p| cap_nodes[p]);
        cap_edges[m] = Some(add_group_edges(
            &mut g,
            parent,
            cap_nodes[pos],
            &members[m],
            &w,
        ));
    }
    let bucket_nodes: Vec<usize> = problem.buckets.iter().map(|_| g.add_node()).collect();
    let bucket_edges: Vec<EdgeId> = problem
        .buckets
        .iter()
        .zip(&bucket_nodes)
        .map(|(b, &node)| g.add_edge(node, t, b.hours.centi(), -w.per_unit))
        .collect();
    let mut slice_in = Vec::with_capacity(problem.slices.len());
    let mut slice_out: Vec<Vec<(usize, EdgeId)>> = Vec::with_capacity(problem.slices.len());
    for (i, h) in problem.slices.iter().enumerate() {
        let from = tree.leaf[i].map_or(root, |p| cap_nodes[p]);
        let v = g.add_node();
        slice_in.push(g.add_edge(from, v, h.centi(), i as i128));
        let mut outs = Vec::new();
        for (b, set) in bucket_sets.iter().enumerate() {
            if set.binary_search(&i).is_ok() {
                outs.push((b, g.add_edge(v, bucket_nodes[b], w.inf, 0)));
            }
        }
        slice_out.push(outs);
    }
    g.min_cost_flow(s, t);
    PartitionFlow {
        g,
        cap_edges,
        bucket_edges,
        slice_in,
        slice_out,
    }
}

#[cfg(test)]
pub(super) mod brute;

#[cfg(test)]
mod tests;
