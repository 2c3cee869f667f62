//! The Bass (1969) diffusion model as agents on a network (docs/model.md §1).
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
//! How a step is drawn (exact in distribution, at a cost per event rather
//! than per agent). Every selection below uses geometric skipping: to select
//! each item of a list independently with probability `1 - exp(-r)`, draw
//! the number of items passed over before the next selected one as
//! floor(E / r) with E ~ Exp(1), which is geometric with exactly that
//! success probability (Devroye 1986, "Non-Uniform Random Variate
//! Generation", ch. X.2; Batagelj & Brandes 2005 use it for random graphs).
//! - An agent with no adopted neighbour ("quiet") adopts with probability
//!   `1 - exp(-p dt)`, the same for all of them: the block's agents are
//!   skipped through at rate `p dt`, and a selected agent who is not quiet
//!   is passed over.
//! - An agent with at least one adopted neighbour ("exposed") is in its
//!   block's list of exposed agents. Its hazard `p + q a / k` is at most
//!   `p + q`, so the list is skipped through at rate `(p + q) dt` and a
//!   selected agent adopts with probability
//!   `(1 - exp(-(p + q a/k) dt)) / (1 - exp(-(p + q) dt))` (thinning; Lewis
//!   & Shedler 1979): overall exactly its own probability. These acceptance
//!   probabilities are tabulated once per run over the (degree, adopted
//!   neighbours) pairs the network has, as integer thresholds; each agent
//!   keeps a cursor into the table that moves one entry on when a neighbour
//!   adopts. (`u < prob` for `rand`'s uniform `u = (x >> 11) / 2^53` of a
//!   64-bit draw `x` holds exactly when `x >> 11 < ceil(prob * 2^53)`.)
//! - On the complete graph every non-adopter has the same probability: the
//!   block is skipped through at rate `(p + q A / (N - 1)) dt`.
//!
//! A step therefore costs about `agents x p dt + exposed x (p + q) dt`
//! draws plus degree work per new adopter, instead of one draw per agent.
//!
//! Random draws come from the stream keyed (run seed, ADOPT, step, block of
//! `BLOCK` agents): blocks are independent within a step, so they run in
//! parallel with the same result on any number of threads; new adopters are
//! applied in block order at the end of the step.

use rand::Rng;
use rayon::prelude::*;

use crate::model::network::{self, Csr};
use crate::model::{Check, Fmt, Issue, MetricDef, Simulation};
use crate::param::ParamSet;
use crate::param::value::round_sig12;
use crate::param::{Bound, Field};
use crate::rng::{Purpose, SETUP, StepKey, Stream, skip_through, stream};

/// Agents per random-stream block (part of the output format: changing it
/// changes every result).
pub const BLOCK: usize = 4096;

/// Blocks decided by one parallel task at least (a block's step is often a
/// few microseconds).
const MIN_BLOCKS_PER_TASK: usize = 4;

/// Runs with fewer blocks than this decide them on one thread: handing work
/// to other threads costs more than a step of a few hundred thousand agents
/// (which is tens of microseconds). Either way the result is the same.
const PARALLEL_BLOCKS: usize = 64;

const NETWORK: Purpose = Purpose(0xB455_0001);
const SEEDING: Purpose = Purpose(0xB455_0002);
const ADOPT: Purpose = Purpose(0xB455_0003);

/// Most tie ends (agents x degree) of a network: 4 GB of neighbour lists.
pub const MAX_TIES: u64 = 1_000_000_000;

/// Peak bytes of one run, from footprints measured with
/// `/usr/bin/time -f %M` on runs of 10^5 to 2x10^6 agents.
pub fn memory_per_run(params: &ParamSet) -> u64 {
    let agents = params.u64("bass.agents");
    match params.str("bass.network") {
        // One count for the whole population, a byte per agent.
        "complete" => agents,
        // Neighbour lists (CSR, 4 bytes per tie end) and the per-agent
        // state (cursor, place in the exposed lists, offsets: about 20
        // bytes), plus what building the network takes on top. Measured
        // peaks per run at 2x10^6 agents: small world 65 / 200 bytes per
        // agent at degree 10 / 40; random graph (built from an edge list)
        // 95 / 319.
        "random" => agents.saturating_mul(9 * params.u64("bass.degree") + 32),
        _ => agents.saturating_mul(5 * params.u64("bass.degree") + 32),
    }
}

/// The Bass model's cross-field checks: the network against the number
/// of agents, and the initial adopters against it.
pub fn checks() -> Vec<Check> {
    vec![
        Check::new(
            &["bass.agents", "bass.degree", "bass.network"],
            BassParams::check_network,
        ),
        Check::new(
            &["bass.agents", "bass.initial_adopters"],
            BassParams::check_seeds,
        ),
    ]
}

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

    /// The degree and size of the network against the number of agents.
    fn check_network(ps: &ParamSet) -> Vec<Issue> {
        let agents = ps.u64("bass.agents") as usize;
        let degree = ps.u64("bass.degree") as usize;
        let net = ps.str("bass.network");
        let network = NetworkKind::from_name(net);
        let mut issues = Vec::new();
        if network != NetworkKind::Complete && degree >= agents {
            issues.push(Issue {
                fields: vec!["bass.degree", "bass.agents", "bass.network"],
                message: format!(
                    "expected a degree less than agents ({agents}) for network \"{net}\", found degree = {degree}"
                ),
            });
        }
        if network != NetworkKind::Complete && agents as u128 * degree as u128 > MAX_TIES as u128 {
            issues.push(Issue {
                fields: vec!["bass.degree", "bass.agents"],
                message: format!(
                    "expected at most {MAX_TIES} tie ends (agents x degree) so the network fits in memory, found {agents} x {degree}"
                ),
            });
        }
        if matches!(network, NetworkKind::Ring | NetworkKind::SmallWorld) && degree % 2 == 1 {
            issues.push(Issue {
                fields: vec!["bass.degree", "bass.network"],
                message: format!(
                    "expected an even degree for network \"{net}\" (degree / 2 ties on each side), found degree = {degree}"
                ),
            });
        }
        issues
    }

    /// The initial adopters against the number of agents.
    fn check_seeds(ps: &ParamSet) -> Vec<Issue> {
        let agents = ps.u64("bass.agents");
        let initial = ps.u64("bass.initial_adopters");
        let mut issues = Vec::new();
        if initial > agents {
            issues.push(Issue {
                fields: vec!["bass.initial_adopters", "bass.agents"],
                message: format!(
                    "expected at most agents ({agents}) initial adopters, found initial_adopters = {initial}"
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
    /// Each agent's entry in `table` (CSR networks only): the entry for its
    /// degree k and a adopted neighbours, at `start(k) + a`; entry 0 once it
    /// has adopted.
    cursor: Vec<u32>,
    /// Acceptance thresholds (see [`threshold`]) of an exposed agent
    /// selected at the largest hazard, by (degree, adopted neighbours), for
    /// the degrees the network has; entry 0 (adopted) is 0.
    table: Vec<u64>,
    /// Per table entry: whether it is an entry for no adopted neighbours.
    quiet: Vec<bool>,
    /// Per block: its exposed agents (an adopted neighbour, not adopted).
    exposed: Vec<Vec<u32>>,
    /// Each exposed agent's place in its block's exposed list.
    place: Vec<u32>,
    /// Per block: its adopters of the current step (reused every step).
    found: Vec<Vec<u32>>,
    adopters: usize,
    new_last_step: usize,
    step: u64,
    /// Adopters of the current step, applied together at its end.
    fresh: Vec<u32>,
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
        let (table, quiet, cursor) = match &graph {
            Some(g) => threshold_table(g, params),
            None => (Vec::new(), Vec::new(), Vec::new()),
        };
        let blocks = n.div_ceil(BLOCK);
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
            quiet,
            exposed: if graph.is_some() {
                vec![Vec::new(); blocks]
            } else {
                Vec::new()
            },
            place: if graph.is_some() {
                vec![0; n]
            } else {
                Vec::new()
            },
            found: vec![Vec::new(); blocks],
            graph,
            adopters: 0,
            new_last_step: 0,
            step: 0,
            fresh: Vec::with_capacity(n),
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

    /// Marks this step's new adopters and moves their neighbours' cursors
    /// one entry on. An adopter leaves its block's exposed list (its cursor
    /// goes to entry 0); a neighbour who had no adopted neighbour joins its
    /// block's list.
    fn apply_fresh(&mut self) {
        match &self.graph {
            Some(g) => {
                for (x, &i) in self.fresh.iter().enumerate() {
                    // Adopters are scattered over the population: ask for
                    // the memory of one a few places ahead while this one is
                    // applied, so that cache misses overlap.
                    if let Some(&ahead) = self.fresh.get(x + PREFETCH_AHEAD) {
                        prefetch(g.neighbours(ahead as usize).as_ptr());
                        prefetch(&self.cursor[ahead as usize]);
                        prefetch(&self.place[ahead as usize]);
                    }
                    let c = self.cursor[i as usize];
                    if !self.quiet[c as usize] {
                        // Exposed: swap it out of its block's list.
                        let list = &mut self.exposed[i as usize / BLOCK];
                        let at = self.place[i as usize] as usize;
                        list.swap_remove(at);
                        if let Some(&moved) = list.get(at) {
                            self.place[moved as usize] = at as u32;
                        }
                    }
                    self.cursor[i as usize] = ADOPTED;
                    for &j in g.neighbours(i as usize) {
                        let c = self.cursor[j as usize];
                        if c != ADOPTED {
                            if self.quiet[c as usize] {
                                let list = &mut self.exposed[j as usize / BLOCK];
                                self.place[j as usize] = list.len() as u32;
                                list.push(j);
                            }
                            self.cursor[j as usize] = c + 1;
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

/// Fills each block's list of this step's adopters with `decide(block,
/// list)` (the list cleared first): on this thread for fewer than
/// [`PARALLEL_BLOCKS`] blocks, else in parallel. Each block draws from its
/// own stream, so the result is the same either way.
fn for_each_block(found: &mut [Vec<u32>], decide: impl Fn(usize, &mut Vec<u32>) + Sync) {
    let run = |b: usize, f: &mut Vec<u32>| {
        f.clear();
        decide(b, f);
    };
    if found.len() < PARALLEL_BLOCKS {
        found.iter_mut().enumerate().for_each(|(b, f)| run(b, f));
    } else {
        found
            .par_iter_mut()
            .enumerate()
            .with_min_len(MIN_BLOCKS_PER_TASK)
            .for_each(|(b, f)| run(b, f));
    }
}

/// How many adopters ahead `apply_fresh` prefetches.
const PREFETCH_AHEAD: usize = 8;

/// A hint to bring the cache line holding `p` closer (no effect on results;
/// nothing on processors without the instruction).
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of every x86_64 processor, and a prefetch
        // only hints the cache: it never reads or writes memory, so any
        // address is sound.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// What a block's step on a network reads.
struct NetworkStep<'a> {
    /// `p dt`: the rate at which quiet agents are selected.
    innovation: f64,
    /// `(p + q) dt`: the rate at which exposed agents are selected.
    largest: f64,
    cursor: &'a [u32],
    table: &'a [u64],
    quiet: &'a [bool],
}

impl NetworkStep<'_> {
    /// One block's adopters, appended to `found`: exposed agents selected
    /// at the largest hazard and kept with their acceptance threshold, then
    /// quiet agents selected at the innovation hazard.
    fn decide(
        &self,
        rng: &mut Stream,
        start: usize,
        len: usize,
        exposed: &[u32],
        found: &mut Vec<u32>,
    ) {
        skip_through(rng, self.largest, exposed.len(), |rng, k| {
            let i = exposed[k];
            if below(rng.next_u64(), self.table[self.cursor[i as usize] as usize]) {
                found.push(i);
            }
        });
        skip_through(rng, self.innovation, len, |_, k| {
            let i = start + k;
            if self.quiet[self.cursor[i] as usize] {
                found.push(i as u32);
            }
        });
    }
}

/// The cursor of an agent who has adopted: entry 0 of the table, threshold 0.
const ADOPTED: u32 = 0;

/// The acceptance table, which of its entries are for no adopted
/// neighbours, and every agent's starting cursor. Entry 0 is the threshold 0
/// of adopters; then, for each degree k the network has, k + 1 entries for
/// a = 0..=k adopted neighbours (at most one entry per tie end plus one per
/// degree, so it fits in u32 indices under [`MAX_TIES`]): the probability
/// of adopting at hazard `p + q * (a / k)` (docs/model.md §1.2) divided
/// by that at the largest hazard `p + q`. Entries for a = 0 are not used in
/// draws (quiet agents are selected at rate p dt directly).
fn threshold_table(g: &Csr, params: &BassParams) -> (Vec<u64>, Vec<bool>, Vec<u32>) {
    let mut start = vec![0u32; g.max_degree() + 1];
    for i in 0..g.len() {
        start[g.degree(i)] = 1; // present
    }
    let largest = params.p + params.q;
    let mut table = vec![0u64];
    let mut quiet = vec![false];
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
            table.push(threshold(
                adopt_probability(hazard, params.dt) / adopt_probability(largest, params.dt),
            ));
            quiet.push(a == 0);
        }
    }
    u32::try_from(table.len()).expect("threshold table within u32 (MAX_TIES)");
    let cursor = (0..g.len()).map(|i| start[g.degree(i)]).collect();
    (table, quiet, cursor)
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
        let n = self.n;
        if self.adopters == n {
            // Nobody is left to adopt: no draws needed (each step has its
            // own streams, so later steps are unaffected).
            self.new_last_step = 0;
            return;
        }
        let key = StepKey::new(self.seed, ADOPT, step);
        let dt = self.dt;
        let mut found = std::mem::take(&mut self.found);
        match &self.graph {
            Some(_) => {
                let net = NetworkStep {
                    innovation: self.p * dt,
                    largest: (self.p + self.q) * dt,
                    cursor: &self.cursor,
                    table: &self.table,
                    quiet: &self.quiet,
                };
                let exposed = &self.exposed;
                for_each_block(&mut found, |b, found| {
                    let start = b * BLOCK;
                    let mut rng = key.block(b as u64);
                    net.decide(&mut rng, start, BLOCK.min(n - start), &exposed[b], found);
                });
            }
            None => {
                let share = if n > 1 {
                    self.adopters as f64 / (n - 1) as f64
                } else {
                    0.0
                };
                let rate = (self.p + self.q * share) * dt;
                let adopted = &self.adopted;
                for_each_block(&mut found, |b, found| {
                    let start = b * BLOCK;
                    let mut rng = key.block(b as u64);
                    skip_through(&mut rng, rate, BLOCK.min(n - start), |_, k| {
                        if !adopted[start + k] {
                            found.push((start + k) as u32);
                        }
                    });
                });
            }
        }
        for f in &found {
            self.fresh.extend_from_slice(f);
        }
        self.found = found;
        self.apply_fresh();
    }
}
