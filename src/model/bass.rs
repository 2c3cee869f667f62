//! The Bass (1969) diffusion model as agents on a network (MODEL.md §1).
//!
//! Each step of length `dt` years, every non-adopter i adopts with
//! probability `1 - exp(-(p + q * A_i / K_i) * dt)`, where A_i is the number
//! of adopted neighbours and K_i the degree (Bass 1969, "A new product growth
//! for model consumer durables", Management Science 15; the agent form on
//! networks follows Fibich & Gibori 2010, "Aggregate diffusion dynamics in
//! agent-based models with a spatial structure", Operations Research 58).
//! Updates are synchronous: every decision in a step uses the state at its
//! start. On the complete graph A_i / K_i = A / (N - 1) for a non-adopter,
//! from one global count; the graph is never materialised.
//!
//! An agent with no ties (possible in an Erdős–Rényi graph) feels no social
//! influence: its hazard is p alone.
//!
//! Random draws: one uniform per agent per step, from the stream keyed
//! (run seed, ADOPT, step, block of `BLOCK` agents), drawn whether or not the
//! agent has adopted, so that the draws of agent i at step t are the same in
//! any variant of a scenario (common random numbers).
//!
//! The step loop compares raw 64-bit draws with integer thresholds:
//! `u < prob` for the uniform `u = (x >> 11) / 2^53` that `rand` makes from
//! a draw `x` holds exactly when `x >> 11 < ceil(prob * 2^53)`, so this
//! gives the same decisions as computing each probability, without an `exp`
//! per agent per step. The thresholds of every (degree, adopted neighbours)
//! pair the network has are tabulated once per run, and each agent keeps a
//! cursor into that table that moves one entry on when a neighbour adopts
//! (and points at a threshold of 0 once the agent has adopted), so a step
//! reads one small integer per agent and a neighbour's adoption costs one
//! increment.

use rand::Rng;
use rayon::prelude::*;

use crate::model::network::{self, Csr};
use crate::model::{Fmt, Issue, MetricDef, Simulation};
use crate::rng::{Purpose, SETUP, stream};
use crate::scenario::params::ParamSet;
use crate::scenario::schema::{Bound, Field};
use crate::scenario::value::round_sig12;

/// Agents per random-stream block (part of the output format: changing it
/// changes every result).
pub const BLOCK: usize = 1024;

/// Blocks decided by one parallel task.
const GROUP: usize = 16;

const NETWORK: Purpose = Purpose(0xB455_0001);
const SEEDING: Purpose = Purpose(0xB455_0002);
const ADOPT: Purpose = Purpose(0xB455_0003);

/// Most tie ends (agents x degree) of a network: 4 GB of neighbour lists.
pub const MAX_TIES: u64 = 1_000_000_000;

/// The network names accepted by `bass.network`.
pub const NETWORKS: &[&str] = &["complete", "ring", "small_world", "random"];

/// The `[bass]` table of a scenario.
pub const FIELDS: &[Field] = &[
    Field::int("bass.agents", 1, 100_000_000, 1000, "Number of agents N"),
    Field::float(
        "bass.p",
        Bound::Incl(0.0),
        Bound::Open,
        0.03,
        "Coefficient of innovation (external influence), per year",
    ),
    Field::float(
        "bass.q",
        Bound::Incl(0.0),
        Bound::Open,
        0.38,
        "Coefficient of imitation (social influence), per year",
    ),
    Field::float(
        "bass.dt",
        Bound::Excl(0.0),
        Bound::Incl(1000.0),
        0.1,
        // Bounded so that model time (step x dt) stays finite.
        "Length of a step, in years",
    ),
    Field::choice(
        "bass.network",
        NETWORKS,
        "complete",
        "Who influences whom: complete, ring, small_world or random",
    ),
    Field::int(
        "bass.degree",
        1,
        100_000_000,
        10,
        "Degree of ring and small_world (even), mean degree of random; must be less than agents",
    ),
    Field::float(
        "bass.rewire",
        Bound::Incl(0.0),
        Bound::Incl(1.0),
        0.1,
        "small_world: probability that a lattice tie is rewired (Watts-Strogatz beta)",
    ),
    Field::int(
        "bass.initial_adopters",
        0,
        100_000_000,
        0,
        "Agents who have adopted at step 0, chosen at random",
    ),
];

/// The metrics of the Bass model, in column order.
pub const METRICS: &[MetricDef] = &[
    MetricDef::level("time", Fmt::Float, "Model time in years: step * dt"),
    MetricDef::level("adopters", Fmt::Int, "Agents who have adopted"),
    MetricDef::level("adoption_fraction", Fmt::Float, "adopters / agents"),
    MetricDef::count("new_adopters", "Agents adopting during the step(s)"),
];

/// The network of a Bass run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkKind {
    /// Everyone influences everyone (one global count, never materialised).
    Complete,
    /// Ring lattice of the given degree.
    Ring,
    /// Watts–Strogatz small world.
    SmallWorld,
    /// Erdős–Rényi random graph of the given mean degree.
    Random,
}

impl NetworkKind {
    fn from_name(s: &str) -> NetworkKind {
        match s {
            "ring" => NetworkKind::Ring,
            "small_world" => NetworkKind::SmallWorld,
            "random" => NetworkKind::Random,
            _ => NetworkKind::Complete,
        }
    }
}

/// Validated parameters of a Bass run.
#[derive(Clone, Debug, PartialEq)]
pub struct BassParams {
    /// Number of agents.
    pub agents: usize,
    /// Coefficient of innovation per year.
    pub p: f64,
    /// Coefficient of imitation per year.
    pub q: f64,
    /// Step length in years.
    pub dt: f64,
    /// Network kind.
    pub network: NetworkKind,
    /// Degree (ring, small world) or mean degree (random).
    pub degree: usize,
    /// Rewiring probability (small world).
    pub rewire: f64,
    /// Adopters at step 0.
    pub initial_adopters: usize,
}

impl BassParams {
    /// Reads validated parameters.
    pub fn from_params(ps: &ParamSet) -> BassParams {
        BassParams {
            agents: ps.u64("bass.agents") as usize,
            p: ps.f64("bass.p"),
            q: ps.f64("bass.q"),
            dt: ps.f64("bass.dt"),
            network: NetworkKind::from_name(ps.str("bass.network")),
            degree: ps.u64("bass.degree") as usize,
            rewire: ps.f64("bass.rewire"),
            initial_adopters: ps.u64("bass.initial_adopters") as usize,
        }
    }

    /// Checks that need more than one field.
    pub fn check(ps: &ParamSet) -> Vec<Issue> {
        let b = BassParams::from_params(ps);
        let net = ps.str("bass.network");
        let mut issues = Vec::new();
        if b.network != NetworkKind::Complete && b.degree >= b.agents {
            issues.push(Issue {
                fields: vec!["bass.degree", "bass.agents", "bass.network"],
                message: format!(
                    "expected a degree less than agents ({}) for network \"{net}\", found degree = {}",
                    b.agents, b.degree
                ),
            });
        }
        if b.network != NetworkKind::Complete
            && b.agents as u128 * b.degree as u128 > MAX_TIES as u128
        {
            issues.push(Issue {
                fields: vec!["bass.degree", "bass.agents"],
                message: format!(
                    "expected at most {MAX_TIES} tie ends (agents x degree) so the network fits in memory, found {} x {}",
                    b.agents, b.degree
                ),
            });
        }
        if matches!(b.network, NetworkKind::Ring | NetworkKind::SmallWorld) && b.degree % 2 == 1 {
            issues.push(Issue {
                fields: vec!["bass.degree", "bass.network"],
                message: format!(
                    "expected an even degree for network \"{net}\" (degree / 2 ties on each side), found degree = {}",
                    b.degree
                ),
            });
        }
        if b.initial_adopters > b.agents {
            issues.push(Issue {
                fields: vec!["bass.initial_adopters", "bass.agents"],
                message: format!(
                    "expected at most agents ({}) initial adopters, found initial_adopters = {}",
                    b.agents, b.initial_adopters
                ),
            });
        }
        issues
    }
}

/// One run of the Bass model.
#[derive(Debug)]
pub struct Bass {
    seed: u64,
    p: f64,
    q: f64,
    dt: f64,
    n: usize,
    graph: Option<Csr>,
    /// Whether each agent has adopted (complete graph only; on a network
    /// the cursor says it).
    adopted: Vec<bool>,
    /// Each agent's entry in `table` (CSR networks only): the threshold for
    /// its degree k and a adopted neighbours, at `start(k) + a`; entry 0
    /// (threshold 0) once it has adopted.
    cursor: Vec<u32>,
    /// Adoption thresholds (see [`threshold`]) by (degree, adopted
    /// neighbours), for the degrees the network has; entry 0 is 0.
    table: Vec<u64>,
    adopters: usize,
    new_last_step: usize,
    step: u64,
    /// Adopters of the current step, applied together at its end.
    fresh: Vec<u32>,
    /// Each parallel group's new adopters (reused every step).
    groups: Vec<Vec<u32>>,
}

/// `1 - exp(-hazard * dt)`, computed without cancellation.
#[inline]
fn adopt_probability(hazard: f64, dt: f64) -> f64 {
    -(-hazard * dt).exp_m1()
}

/// The integer threshold of a probability: for a 64-bit draw `x`,
/// `(x >> 11) < threshold(prob)` exactly when `rand`'s uniform
/// `(x >> 11) * 2^-53` is below `prob` (multiplying by 2^53 is exact, and
/// an integer is below a real number exactly when it is below its ceiling).
#[inline]
fn threshold(prob: f64) -> u64 {
    (prob.clamp(0.0, 1.0) * (1u64 << 53) as f64).ceil() as u64
}

/// Whether a 64-bit draw falls below a threshold made by [`threshold`].
#[inline]
fn below(draw: u64, threshold: u64) -> bool {
    (draw >> 11) < threshold
}

impl Bass {
    /// Builds the network and the initial adopters of a run.
    pub fn new(params: &BassParams, run_seed: u64) -> Bass {
        let n = params.agents;
        let mut rng = stream(run_seed, NETWORK, SETUP, 0);
        let graph = match params.network {
            NetworkKind::Complete => None,
            NetworkKind::Ring => Some(network::ring(n, params.degree)),
            NetworkKind::SmallWorld => Some(network::small_world(
                n,
                params.degree,
                params.rewire,
                &mut rng,
            )),
            NetworkKind::Random => Some(network::erdos_renyi(n, params.degree as f64, &mut rng)),
        };
        let (table, cursor) = match &graph {
            Some(g) => threshold_table(g, params),
            None => (Vec::new(), Vec::new()),
        };
        let mut bass = Bass {
            seed: run_seed,
            p: params.p,
            q: params.q,
            dt: params.dt,
            n,
            adopted: if graph.is_some() {
                Vec::new()
            } else {
                vec![false; n]
            },
            cursor,
            table,
            graph,
            adopters: 0,
            new_last_step: 0,
            step: 0,
            fresh: Vec::with_capacity(n),
            groups: vec![Vec::new(); n.div_ceil(BLOCK).div_ceil(GROUP)],
        };
        let mut rng = stream(run_seed, SEEDING, SETUP, 0);
        for i in rand::seq::index::sample(&mut rng, n, params.initial_adopters) {
            bass.fresh.push(i as u32);
        }
        bass.apply_fresh();
        bass
    }

    /// Number of agents who have adopted.
    pub fn adopters(&self) -> usize {
        self.adopters
    }

    /// The network (None for the complete graph).
    pub fn graph(&self) -> Option<&Csr> {
        self.graph.as_ref()
    }

    /// The agents of `block` who adopt during `step`, appended to `out`.
    fn decide(&self, step: u64, block: usize, out: &mut Vec<u32>) {
        let n = self.n;
        let start = block * BLOCK;
        let end = (start + BLOCK).min(n);
        let mut rng = stream(self.seed, ADOPT, step, block as u64);
        if self.graph.is_some() {
            // One draw and one comparison per agent: adopters have a
            // threshold of 0 and never pass.
            for (i, &c) in self.cursor[start..end].iter().enumerate() {
                if below(rng.next_u64(), self.table[c as usize]) {
                    out.push((start + i) as u32);
                }
            }
        } else {
            let share = if n > 1 {
                self.adopters as f64 / (n - 1) as f64
            } else {
                0.0
            };
            let t = threshold(adopt_probability(self.p + self.q * share, self.dt));
            for i in start..end {
                if below(rng.next_u64(), t) && !self.adopted[i] {
                    out.push(i as u32);
                }
            }
        }
    }

    /// Marks this step's new adopters and moves their neighbours' cursors
    /// one entry on (an adopter's cursor stays at 0).
    fn apply_fresh(&mut self) {
        match &self.graph {
            Some(g) => {
                for &i in &self.fresh {
                    self.cursor[i as usize] = ADOPTED;
                    for &j in g.neighbours(i as usize) {
                        let c = &mut self.cursor[j as usize];
                        if *c != ADOPTED {
                            *c += 1;
                        }
                    }
                }
            }
            None => {
                for &i in &self.fresh {
                    self.adopted[i as usize] = true;
                }
            }
        }
        self.adopters += self.fresh.len();
        self.new_last_step = self.fresh.len();
        self.fresh.clear();
    }
}

/// The cursor of an agent who has adopted: entry 0 of the table, threshold 0.
const ADOPTED: u32 = 0;

/// The threshold table and every agent's starting cursor. Entry 0 is the
/// threshold 0 of adopters; then, for each degree k the network has, k + 1
/// entries for a = 0..=k adopted neighbours (at most one entry per tie end
/// plus one per degree, so it fits in u32 indices under [`MAX_TIES`]).
/// Probabilities are `p + q * (a / k)`, the same expression as MODEL.md's
/// hazard; an agent with no ties has the threshold of p alone.
fn threshold_table(g: &Csr, params: &BassParams) -> (Vec<u64>, Vec<u32>) {
    let mut start = vec![0u32; g.max_degree() + 1];
    for i in 0..g.len() {
        start[g.degree(i)] = 1; // present
    }
    let mut table = vec![0u64];
    for (k, s) in start.iter_mut().enumerate() {
        if *s == 0 {
            continue;
        }
        *s = u32::try_from(table.len()).expect("threshold table within u32 (MAX_TIES)");
        for a in 0..=k {
            let hazard = if a == 0 {
                params.p
            } else {
                params.p + params.q * (a as f64 / k as f64)
            };
            table.push(threshold(adopt_probability(hazard, params.dt)));
        }
    }
    u32::try_from(table.len()).expect("threshold table within u32 (MAX_TIES)");
    let cursor = (0..g.len()).map(|i| start[g.degree(i)]).collect();
    (table, cursor)
}

impl Simulation for Bass {
    fn observe(&self, out: &mut [f64], _levels: bool) {
        // Rounded so that step 3 of dt = 0.1 reads 0.3, not 0.30000000000000004.
        out[0] = round_sig12(self.step as f64 * self.dt);
        out[1] = self.adopters as f64;
        out[2] = self.adopters as f64 / self.n as f64;
        out[3] = if self.step == 0 {
            0.0
        } else {
            self.new_last_step as f64
        };
    }

    fn step(&mut self, step: u64) {
        self.step = step;
        // Groups of blocks decide in parallel (each block has its own keyed
        // stream, so the result is the same on any number of threads); the
        // new adopters are then applied in block order.
        let mut groups = std::mem::take(&mut self.groups);
        let this = &*self;
        groups.par_iter_mut().enumerate().for_each(|(g, out)| {
            out.clear();
            let first = g * GROUP;
            let last = (first + GROUP).min(this.n.div_ceil(BLOCK));
            for block in first..last {
                this.decide(step, block, out);
            }
        });
        for out in &groups {
            self.fresh.extend_from_slice(out);
        }
        self.groups = groups;
        self.apply_fresh();
    }
}
