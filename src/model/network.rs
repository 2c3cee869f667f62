//! Social networks in compressed sparse row (CSR) form, and the generators
//! the models use: ring lattice, Watts–Strogatz small world and
//! Erdős–Rényi random graphs.
//!
//! CSR keeps each agent's neighbours contiguous (`offsets[i]..offsets[i+1]`
//! into `targets`), so a pass over neighbours is a linear scan of memory and
//! a network of N agents with mean degree k costs 8(N+1) + 4kN bytes.
//! The complete graph is never built: models use one global count instead.

use rand::RngExt;
use rustc_hash::FxHashSet;

use crate::rng::{Stream, skip_through};

/// An undirected graph in compressed sparse row form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Csr {
    /// u32 is enough: a network holds at most `MAX_TIES` (10^9) tie ends.
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

/// An offset into the neighbour lists, which fit in u32 indices.
fn offset(x: usize) -> u32 {
    u32::try_from(x).expect("at most u32::MAX tie ends (bass.rs MAX_TIES is 10^9)")
}

impl Csr {
    /// Builds a graph of `n` nodes from undirected edges (each stored in
    /// both directions). Neighbour lists keep the order of `edges`.
    pub fn from_edges(n: usize, edges: &[(u32, u32)]) -> Csr {
        let mut offsets = vec![0u32; n + 1];
        offset(2 * edges.len());
        for &(a, b) in edges {
            offsets[a as usize + 1] += 1;
            offsets[b as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; offsets[n] as usize];
        for &(a, b) in edges {
            targets[fill[a as usize] as usize] = b;
            fill[a as usize] += 1;
            targets[fill[b as usize] as usize] = a;
            fill[b as usize] += 1;
        }
        Csr { offsets, targets }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of undirected edges.
    pub fn edge_count(&self) -> usize {
        self.targets.len() / 2
    }

    /// Degree of node `i`.
    #[inline]
    pub fn degree(&self, i: usize) -> usize {
        (self.offsets[i + 1] - self.offsets[i]) as usize
    }

    /// Neighbours of node `i`.
    #[inline]
    pub fn neighbours(&self, i: usize) -> &[u32] {
        &self.targets[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Largest degree.
    pub fn max_degree(&self) -> usize {
        (0..self.len()).map(|i| self.degree(i)).max().unwrap_or(0)
    }

    /// Bytes held by the structure.
    pub fn bytes(&self) -> usize {
        self.offsets.len() * std::mem::size_of::<u32>()
            + self.targets.len() * std::mem::size_of::<u32>()
    }
}

/// Ring lattice of `n` nodes with degree `k` (even, less than `n`).
pub fn ring(n: usize, k: usize) -> Csr {
    lattice_with_rewiring(n, k, &[false; 0], &[], vec![k as u32; n])
}

fn edge_key(a: u32, b: u32) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    (u64::from(lo) << 32) | u64::from(hi)
}

/// Watts–Strogatz small world (Watts & Strogatz 1998, "Collective dynamics
/// of 'small-world' networks", Nature 393): a ring lattice of degree `k`
/// whose edges (u, u + j), taken for j = 1..k/2 and u = 0..n, each have,
/// with probability `beta`, their far end moved to a uniformly chosen node
/// that is neither u nor already tied to u. Degree is kept on average; no
/// self loops or multiple edges.
///
/// The edges to rewire are chosen by geometric skipping (one draw per
/// rewired edge, see [`skip_through`]), and the lattice is never listed edge
/// by edge: a pair at ring distance d <= k/2 is a lattice edge, present
/// unless it was moved (one flag per lattice edge), and any other present
/// tie is one made by rewiring (a set of only those). The neighbour lists
/// are written straight into CSR form.
pub fn small_world(n: usize, k: usize, beta: f64, rng: &mut Stream) -> Csr {
    let half = k / 2;
    let lattice_edges = n * half;
    let mut moved = vec![false; if beta > 0.0 { lattice_edges } else { 0 }];
    let mut added: Vec<(u32, u32)> = Vec::new();
    let mut degree = vec![k as u32; n];
    if beta > 0.0 && lattice_edges > 0 {
        // The index of the lattice edge between a and b, if they are at
        // ring distance 1..=half (unique: half < n / 2 as k < n); edge
        // (u, u + j) has index (j - 1) n + u.
        let lattice = |a: u32, b: u32| -> Option<usize> {
            let (a, b) = (a as usize, b as usize);
            let d = a.abs_diff(b);
            let d = d.min(n - d);
            if d == 0 || d > half {
                return None;
            }
            let ahead = if a + d >= n { a + d - n } else { a + d };
            let u = if ahead == b { a } else { b };
            Some((d - 1) * n + u)
        };
        let expected = (beta * lattice_edges as f64 * 1.1) as usize + 16;
        let mut rewired: FxHashSet<u64> =
            FxHashSet::with_capacity_and_hasher(expected.min(lattice_edges), Default::default());
        added.reserve(expected.min(lattice_edges));
        // Probability beta per edge is rate -ln(1 - beta) (infinite at 1).
        let rate = -(-beta).ln_1p();
        // Edge e is (u, u + j) with j - 1 = e / n and u = e % n, found by
        // moving on from the last edge rather than by dividing.
        let (mut j, mut row_start) = (1, 0);
        skip_through(rng, rate, lattice_edges, |rng, e| {
            while e >= row_start + n {
                row_start += n;
                j += 1;
            }
            let u = e - row_start;
            let v = if u + j >= n { u + j - n } else { u + j };
            let u = u as u32;
            if degree[u as usize] as usize >= n - 1 {
                return; // u is tied to everyone: nothing to rewire to
            }
            let w = loop {
                let w = rng.random_range(0..n as u32);
                if w == u {
                    continue;
                }
                let present = match lattice(u, w) {
                    Some(i) if !moved[i] => true,
                    _ => rewired.contains(&edge_key(u, w)),
                };
                if !present {
                    break w;
                }
            };
            moved[e] = true;
            rewired.insert(edge_key(u, w));
            added.push((u, w));
            degree[v] -= 1;
            degree[w as usize] += 1;
        });
    }
    lattice_with_rewiring(n, k, &moved, &added, degree)
}

/// The CSR form of a ring lattice of degree `k` without the lattice edges
/// flagged in `moved` (indexed as in [`small_world`]; empty for none), plus
/// the edges `added`; `degree` is every node's resulting degree. Each
/// node's list holds its kept lattice ties (nearest first, behind then
/// ahead) and then its added ties in the order they were made.
fn lattice_with_rewiring(
    n: usize,
    k: usize,
    moved: &[bool],
    added: &[(u32, u32)],
    degree: Vec<u32>,
) -> Csr {
    let half = k / 2;
    let mut offsets = vec![0u32; n + 1];
    let mut total = 0usize;
    for i in 0..n {
        total += degree[i] as usize;
        offsets[i + 1] = offset(total);
    }
    // One spare slot at the end: see below.
    let mut targets = vec![0u32; total + 1];
    // How many of each node's slots are filled (reusing `degree`).
    let mut filled = degree;
    let wrap = |x: usize| if x >= n { x - n } else { x };
    if moved.is_empty() {
        for u in 0..n {
            let start = offsets[u] as usize;
            let row = &mut targets[start..start + k];
            for j in 1..=half {
                row[2 * j - 2] = wrap(u + n - j) as u32;
                row[2 * j - 1] = wrap(u + j) as u32;
            }
            filled[u] = k as u32;
        }
    } else {
        for u in 0..n {
            // Written without branches: every tie is written at the next
            // free slot, which moves on only if the tie is kept. A row keeps
            // at most as many lattice ties as its degree, so a write past
            // its last kept tie lands in its own added ties' slots, in the
            // next row's first slot (rewritten when that row is filled, as
            // rows are filled in order), or in the spare slot at the end;
            // added ties are written after every row.
            let start = offsets[u] as usize;
            let mut at = start;
            for j in 1..=half {
                let behind = wrap(u + n - j);
                targets[at] = behind as u32;
                at += usize::from(!moved[(j - 1) * n + behind]);
                targets[at] = wrap(u + j) as u32;
                at += usize::from(!moved[(j - 1) * n + u]);
            }
            filled[u] = (at - start) as u32;
        }
    }
    for &(a, b) in added {
        for (x, y) in [(a, b), (b, a)] {
            targets[(offsets[x as usize] + filled[x as usize]) as usize] = y;
            filled[x as usize] += 1;
        }
    }
    targets.truncate(total);
    debug_assert!((0..n).all(|i| offsets[i] + filled[i] == offsets[i + 1]));
    Csr { offsets, targets }
}

/// Erdős–Rényi G(n, p) with p = `mean_degree / (n - 1)`, generated in
/// O(n + m) by geometric skipping over the pairs (Batagelj & Brandes 2005,
/// "Efficient generation of large random networks", Phys. Rev. E 71).
pub fn erdos_renyi(n: usize, mean_degree: f64, rng: &mut Stream) -> Csr {
    let mut edges = Vec::new();
    if n >= 2 {
        let p = mean_degree / (n - 1) as f64;
        if p >= 1.0 {
            for v in 1..n {
                for w in 0..v {
                    edges.push((v as u32, w as u32));
                }
            }
        } else if p > 0.0 {
            edges.reserve((p * (n as f64) * (n as f64 - 1.0) / 2.0 * 1.05) as usize);
            // Pairs passed over before the next edge: floor(E / rate) with
            // E ~ Exp(1) and rate = -ln(1 - p), geometric with success p.
            let rate = -(-p).ln_1p();
            let (mut v, mut w): (usize, i64) = (1, -1);
            while v < n {
                let e: f64 = rng.sample(rand_distr::Exp1);
                let gap = (e / rate).min(i64::MAX as f64 / 4.0);
                w += 1 + gap as i64;
                while w >= v as i64 && v < n {
                    w -= v as i64;
                    v += 1;
                }
                if v < n {
                    edges.push((v as u32, w as u32));
                }
            }
        }
    }
    Csr::from_edges(n, &edges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    fn is_simple(g: &Csr) -> bool {
        (0..g.len()).all(|i| {
            let mut nb: Vec<u32> = g.neighbours(i).to_vec();
            let before = nb.len();
            nb.sort_unstable();
            nb.dedup();
            nb.len() == before && !nb.contains(&(i as u32))
        })
    }

    fn is_symmetric(g: &Csr) -> bool {
        (0..g.len()).all(|i| {
            g.neighbours(i)
                .iter()
                .all(|&j| g.neighbours(j as usize).contains(&(i as u32)))
        })
    }

    #[test]
    fn ring_has_degree_k_everywhere() {
        let g = ring(11, 4);
        assert!((0..11).all(|i| g.degree(i) == 4));
        assert_eq!(g.edge_count(), 22);
        let mut nb = g.neighbours(0).to_vec();
        nb.sort_unstable();
        assert_eq!(nb, vec![1, 2, 9, 10]);
        assert!(is_simple(&g) && is_symmetric(&g));
    }

    #[test]
    fn small_world_keeps_edge_count_and_stays_simple() {
        let mut r = stream(5, Purpose(1), 0, 0);
        let g = small_world(1000, 10, 0.3, &mut r);
        assert_eq!(g.edge_count(), 5000);
        assert!(is_simple(&g) && is_symmetric(&g));
        // Every node keeps at least its k/2 "own" edges' near ends.
        assert!((0..1000).all(|i| g.degree(i) >= 5));
        // Rewiring 30 % of edges moves some of them off the lattice.
        let off = (0..1000)
            .flat_map(|i| g.neighbours(i).iter().map(move |&j| (i, j as usize)))
            .filter(|&(i, j)| {
                let d = i.abs_diff(j);
                d.min(1000 - d) > 5
            })
            .count()
            / 2;
        // Expected 0.3 * 5000 = 1500 (a few rewired ends land back within 5).
        assert!((1300..1700).contains(&off), "{off} rewired edges");
    }

    #[test]
    fn small_worlds_of_every_density_are_simple_with_every_tie_kept() {
        // Dense lattices (k close to n) make rewiring run out of targets
        // and leave moved and added ties in every position of a row.
        for (n, k) in [(3, 2), (6, 4), (12, 10), (13, 12), (50, 8), (200, 6)] {
            for beta in [0.0, 0.05, 0.5, 0.95, 1.0] {
                for seed in 0..20 {
                    let mut r = stream(seed, Purpose(1), 0, 0);
                    let g = small_world(n, k, beta, &mut r);
                    assert_eq!(g.edge_count(), n * k / 2, "n {n} k {k} beta {beta}");
                    assert!(is_simple(&g) && is_symmetric(&g), "n {n} k {k} beta {beta}");
                    if beta == 0.0 {
                        assert_eq!(g, ring(n, k));
                    }
                }
            }
        }
    }

    #[test]
    fn small_world_with_full_rewiring_on_a_tiny_graph_terminates() {
        let mut r = stream(5, Purpose(1), 0, 0);
        let g = small_world(5, 4, 1.0, &mut r);
        assert!(is_simple(&g) && is_symmetric(&g));
    }

    #[test]
    fn erdos_renyi_has_the_mean_degree() {
        let mut r = stream(9, Purpose(1), 0, 0);
        let n = 20_000;
        let g = erdos_renyi(n, 10.0, &mut r);
        let mean = 2.0 * g.edge_count() as f64 / n as f64;
        // Edge count is binomial: sd of the mean degree is about
        // sqrt(2 * 10 / n) = 0.032.
        assert!((mean - 10.0).abs() < 0.16, "mean degree {mean}");
        assert!(is_simple(&g) && is_symmetric(&g));
    }

    #[test]
    fn erdos_renyi_complete_when_p_is_one() {
        let mut r = stream(9, Purpose(1), 0, 0);
        let g = erdos_renyi(6, 5.0, &mut r);
        assert_eq!(g.edge_count(), 15);
    }
}
